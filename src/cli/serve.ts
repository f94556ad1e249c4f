import type { Config } from '../config/config.js';
import { startServer, type RunningServer } from '../server.js';

/** `latchkey serve`: runs until SIGINT/SIGTERM. */
export async function runServe(config: Config): Promise<number> {
  const server = await startServer(config);
  // Listen for the stop signals before saying we are up, so a supervisor that stops us at once
  // still gets a clean shutdown.
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const { logger } = server.runtime.deps;
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
  // Logged after the first-start banner: whoever waits for this line (a supervisor, the tests) then
  // has the banner too.
  logger.info(
    { url: server.url, adminUrl: server.adminUrl ?? 'off', issuer: server.runtime.config.issuer, engine: server.runtime.store.engine },
    'latchkey listening',
  );
  if (server.runtime.config.isInsecureHttpIssuer) {
    logger.warn({ issuer: server.runtime.config.issuer }, 'INSECURE: the issuer is plain http on a non-loopback host (LATCHKEY_INSECURE_HTTP_ISSUER)');
  }
  if (server.runtime.config.clientRegistration.allowInsecureMetadataFetch) {
    logger.warn('INSECURE: Client ID Metadata Documents may be fetched over http and from loopback addresses (LATCHKEY_INSECURE_CLIENT_METADATA_FETCH, tests only)');
  }
  await warnAboutDevelopmentDelivery(server);
  await stopped;
  logger.info('shutting down');
  await server.close();
  return 0;
}

/** The development sender delivers nothing: say so at boot, once per organization that uses it. */
async function warnAboutDevelopmentDelivery(server: RunningServer): Promise<void> {
  const { deps } = server.runtime;
  for (const organization of await deps.store.listOrganizations()) {
    const settings = await deps.delivery.getSettings(organization.id);
    const channels = (['email', 'sms'] as const).filter((channel) => settings[channel].kind === 'development');
    if (channels.length > 0) {
      deps.logger.warn(
        { organization: organization.name, channels },
        'one-time passcodes are kept in the development outbox, not sent (latchkey orgs set-delivery)',
      );
    }
  }
}
