import { SETTINGS, type SettingSpec } from './settings.js';

/** The markdown table of every setting (README and docs/configuration.md both show it). */
export function renderSettingsTable(): string {
  const rows = Object.entries(SETTINGS as Record<string, SettingSpec>).map(
    ([name, spec]) => `| \`${name}\` | ${spec.defaultText === undefined ? '—' : `\`${spec.defaultText}\``} | ${spec.description} |`,
  );
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

/** Renders docs/configuration.md from the settings table; `npm run docs:config` writes it. */
export function renderConfigurationReference(): string {
  return [
    '# Configuration',
    '',
    '<!-- Generated from src/config/settings.ts by `npm run docs:config`; test/config.test.ts fails when it drifts. -->',
    '',
    'Latchkey reads its configuration from environment variables, validates all of them at start and',
    'refuses to start with one line per bad value. Empty values count as unset.',
    '',
    renderSettingsTable(),
    '',
    '## Per-organization settings',
    '',
    'Token lifetimes are stored per organization (SPEC §4) and start at these defaults:',
    '`accessTokenTtlSeconds` 3600, `refreshTokenTtlSeconds` 2592000 (30 days),',
    '`refreshReuseIntervalSeconds` 10. The exchange code lives 60 seconds and is not configurable.',
    '',
  ].join('\n');
}

/** README.md with its configuration table (between the config-table markers) regenerated. */
export function renderReadme(readme: string): string {
  return readme.replace(
    /<!-- config-table:start -->[\s\S]*<!-- config-table:end -->/,
    `<!-- config-table:start -->\n${renderSettingsTable()}\n<!-- config-table:end -->`,
  );
}
