import { parseArgs } from 'node:util';
import type { Config } from '../config/config.js';
import { createOrganization } from '../flows/bootstrap.js';
import { print, withRuntime } from './runtime.js';
import { UsageError } from './usage-error.js';

/** `latchkey orgs list|create`. */
export async function runOrgs(config: Config, argv: string[]): Promise<number> {
  const [sub, ...args] = argv;
  const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false }, name: { type: 'string' } } });
  return withRuntime(config, async ({ deps }) => {
    if (sub === 'list') {
      const organizations = await deps.store.listOrganizations();
      print(values.json, organizations, organizations.map((o) => `${o.id}  ${o.name}`).join('\n') || '(none)');
      return 0;
    }
    if (sub === 'create') {
      if (!values.name) throw new UsageError('orgs create needs --name');
      const organization = await createOrganization(deps, values.name);
      print(values.json, organization, `created ${organization.id} (${organization.name})`);
      return 0;
    }
    throw new UsageError('orgs needs one of: list, create');
  });
}
