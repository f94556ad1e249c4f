import { SETTINGS, type SettingSpec } from './settings.js';

/** Renders docs/configuration.md from the settings table; `npm run docs:config` writes it. */
export function renderConfigurationReference(): string {
  const rows = Object.entries(SETTINGS as Record<string, SettingSpec>).map(
    ([name, spec]) => `| \`${name}\` | ${spec.defaultText === undefined ? '—' : `\`${spec.defaultText}\``} | ${spec.description} |`,
  );
  return [
    '# Configuration',
    '',
    '<!-- Generated from src/config/settings.ts by `npm run docs:config`; test/config.test.ts fails when it drifts. -->',
    '',
    'Latchkey reads its configuration from environment variables, validates all of them at start and',
    'refuses to start with one line per bad value. Empty values count as unset.',
    '',
    '| variable | default | meaning |',
    '|---|---|---|',
    ...rows,
    '',
    '## Per-organization settings',
    '',
    'Token lifetimes are stored per organization (SPEC §4) and start at these defaults:',
    '`accessTokenTtlSeconds` 3600, `refreshTokenTtlSeconds` 2592000 (30 days),',
    '`refreshReuseIntervalSeconds` 10. The exchange code lives 60 seconds and is not configurable.',
    '',
  ].join('\n');
}
