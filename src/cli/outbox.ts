import { parseArgs } from 'node:util';
import type { Config } from '../config/config.js';
import { print, withRuntime } from './runtime.js';
import { UsageError } from './usage-error.js';

/** `latchkey outbox [--to ADDRESS] [--limit N]`: messages the development sender kept, newest first. */
export async function runOutbox(config: Config, argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean', default: false }, to: { type: 'string' }, limit: { type: 'string', default: '10' } },
  });
  if (!/^[1-9]\d{0,3}$/.test(values.limit)) throw new UsageError(`--limit must be a whole number from 1 to 9999 (got ${JSON.stringify(values.limit)})`);
  return withRuntime(config, async ({ deps }) => {
    const messages = await deps.store.listDevMessages({ recipient: values.to, limit: Number(values.limit) });
    const text = messages
      .map((m) => `${new Date(m.createdAt).toISOString()}  ${m.channel}  to ${m.recipient}\n  ${m.subject}\n  ${m.body.replace(/\n/g, '\n  ')}`)
      .join('\n\n');
    print(values.json, messages.map((m) => ({ ...m, createdAt: new Date(m.createdAt).toISOString() })), text || '(the outbox is empty)');
    return 0;
  });
}
