import type { Config } from '../config/config.js';
import { startServer } from '../server.js';

/** `latchkey serve`: runs until SIGINT/SIGTERM. */
export async function runServe(config: Config): Promise<number> {
  const server = await startServer(config);
  const { logger } = server.runtime.deps;
  logger.info({ url: server.url, issuer: server.runtime.config.issuer, engine: server.runtime.store.engine }, 'latchkey listening');
  if (server.demo) {
    // SPEC §8: the demo keys are shown once, on the first start, so a newcomer can try every flow.
    // Printed to the terminal, not the log: a secret never enters a log line.
    const { application, secretKey } = server.demo;
    process.stdout.write(
      [
        '',
        'First start: created organization "default" and a demo application.',
        `  application id   ${application.id}`,
        `  publishable key  ${application.publishableKey}`,
        `  secret key       ${secretKey}`,
        'The secret key is shown only this once; `latchkey apps rotate-secret` issues a new one.',
        '',
      ].join('\n') + '\n',
    );
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  logger.info('shutting down');
  await server.close();
  return 0;
}
