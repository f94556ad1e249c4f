import { parseArgs } from 'node:util';
import type { Config } from '../config/config.js';
import { describeRotation, rotateSigningKey } from '../flows/rotate-signing-key.js';
import { print, withRuntime } from './runtime.js';
import { UsageError } from './usage-error.js';

/** `latchkey keys rotate`: staged rotation (published now, signing after the key cache delay). */
export async function runKeys(config: Config, argv: string[]): Promise<number> {
  const [sub, ...args] = argv;
  const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false } } });
  if (sub !== 'rotate') throw new UsageError('keys needs: rotate');
  return withRuntime(config, async ({ deps }) => {
    const report = describeRotation(await rotateSigningKey(deps));
    print(values.json, report, `new keys ${report.kid} (EdDSA) and ${report.idTokenKid} (RS256, ID tokens): published now, signs from ${report.signsFrom}; old keys retire at ${report.previousKeysRetireAt}`);
    return 0;
  });
}
