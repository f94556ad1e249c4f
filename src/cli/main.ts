import { ConfigError, loadConfig } from '../config/config.js';
import { runApps } from './apps.js';
import { runKeys } from './keys.js';
import { runMigrate } from './migrate.js';
import { runOrgs } from './orgs.js';
import { runOutbox } from './outbox.js';
import { runServe } from './serve.js';
import { runUsers } from './users.js';
import { UsageError } from './usage-error.js';

const USAGE = `usage: latchkey <command> [options]

commands:
  serve                         run the server (migrates, creates the first key and demo app)
  migrate                       apply pending schema migrations
  orgs list|create --name N     organizations
  orgs set-delivery [--org default] --channel email|sms
       (--development | --smtp-url smtp://… --from ADDRESS | --webhook-url URL --webhook-secret S)
  outbox [--to ADDRESS] [--limit N]   messages kept by the development sender
  apps create --name N [--org default] [--type confidential|public] [--environment test|live]
              [--redirect-uri URI]... [--scope S]... [--origin O]...
              [--logo-url https://…] [--accent-color #rrggbb] [--first-party]
  apps list [--org default]
  apps rotate-secret --id app_…
  apps add-redirect-uri --id app_… --redirect-uri URI
  apps set-branding --id app_… [--name N] [--logo-url https://…] [--accent-color #rrggbb] [--first-party|--third-party]
  orgs set-branding [--org default] [--display-name N] [--logo-url https://…] [--accent-color #rrggbb]
  users create --email E --password P [--phone +1…] [--name N] [--org default] [--environment test|live]
  users set-password --email E --password P [--org default] [--environment test|live]
  keys rotate                   publish a new signing key and retire the old ones

Every command reads the LATCHKEY_* environment (see docs/configuration.md) and accepts --json.`;

/** The `latchkey` command line; returns the process exit code. */
export async function main(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  try {
    const config = loadConfig(env);
    switch (command) {
      case 'serve':
        return await runServe(config);
      case 'migrate':
        return await runMigrate(config, rest);
      case 'orgs':
        return await runOrgs(config, rest);
      case 'apps':
        return await runApps(config, rest);
      case 'keys':
        return await runKeys(config, rest);
      case 'users':
        return await runUsers(config, rest);
      case 'outbox':
        return await runOutbox(config, rest);
      default:
        process.stderr.write(`latchkey: unknown command "${command}"\n\n${USAGE}\n`);
        return 2;
    }
  } catch (error) {
    if (error instanceof ConfigError || error instanceof UsageError) {
      process.stderr.write(`latchkey: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
