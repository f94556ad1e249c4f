import { parseArgs } from 'node:util';
import type { Config } from '../config/config.js';
import { print, withRuntime } from './runtime.js';

/** `latchkey outbox [--to ADDRESS] [--limit N]`: messages the development sender kept, newest first. */
export async function runOutbox(config: Config, argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean', default: false }, to: { type: 'string' }, limit: { type: 'string', default: '10' } },
  });
  return withRuntime(config, async ({ deps }) => {
    const messages = await deps.store.listDevMessages({ recipient: values.to, limit: Number(values.limit) || 10 });
    const text = messages
      .map((m) => `${new Date(m.createdAt).toISOString()}  ${m.channel}  to ${m.recipient}\n  ${m.subject}\n  ${m.body.replace(/\n/g, '\n  ')}`)
      .join('\n\n');
    print(values.json, messages.map((m) => ({ ...m, createdAt: new Date(m.createdAt).toISOString() })), text || '(the outbox is empty)');
    return 0;
  });
}
