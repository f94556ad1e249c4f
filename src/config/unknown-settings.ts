import { closestName } from './closest-name.js';
import { SETTINGS } from './settings.js';

/** Variables of the test suite (DEVELOPERS.md), not settings of the server. */
const TEST_SUITE_PREFIX = 'LATCHKEY_TEST_';

/**
 * One warning per `LATCHKEY_*` variable that is no setting (issue 11.12): a misspelt name is
 * otherwise ignored in silence and its default applies. Names the closest setting when one is close.
 */
export function unknownSettingWarnings(env: Record<string, string | undefined>): string[] {
  const known = Object.keys(SETTINGS);
  return Object.keys(env)
    .filter((name) => name.startsWith('LATCHKEY_') && !name.startsWith(TEST_SUITE_PREFIX) && !known.includes(name))
    .sort()
    .map((name) => {
      const short = (setting: string) => setting.slice('LATCHKEY_'.length);
      const close = closestName(short(name), known.map(short));
      const suggestion = known.find((k) => k.startsWith(`${name}_`)) ?? (close && `LATCHKEY_${close}`);
      return `${name} is not a Latchkey setting and is ignored${suggestion ? `; did you mean ${suggestion}?` : ''} (docs/configuration.md lists them)`;
    });
}
