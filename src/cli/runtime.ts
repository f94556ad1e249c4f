import { pino } from 'pino';
import type { Config } from '../config/config.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { createRuntime, type Runtime } from '../server.js';

/**
 * Runs an administrative command against the configured store. Logs go to stderr so that stdout
 * holds only the command's output (and stays valid JSON with --json).
 */
export async function withRuntime<T>(config: Config, run: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = await createRuntime(config, { logger: cliLogger(config) });
  try {
    return await run(runtime);
  } finally {
    await runtime.rateLimits.close();
    await runtime.store.close();
  }
}

/** A command's logger: to stderr, so stdout holds only its output; warnings and worse unless asked. */
export function cliLogger(config: Config): Logger {
  return createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, pino.destination(2));
}

/** Prints `value` as JSON (with --json) or as the given human text. */
export function print(isJson: boolean, value: unknown, text: string): void {
  process.stdout.write(isJson ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
}
