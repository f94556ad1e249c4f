import { parseArgs } from 'node:util';
import type { Config } from '../config/config.js';
import { UserAdminError, createUser, setUserPassword } from '../flows/users.js';
import type { Environment } from '../storage/store.js';
import { print, withRuntime } from './runtime.js';
import { UsageError } from './usage-error.js';

/** `latchkey users create|set-password` (SPEC §8). */
export async function runUsers(config: Config, argv: string[]): Promise<number> {
  const [sub, ...args] = argv;
  const { values } = parseArgs({
    args,
    options: {
      json: { type: 'boolean', default: false },
      email: { type: 'string' },
      password: { type: 'string' },
      phone: { type: 'string' },
      name: { type: 'string' },
      org: { type: 'string', default: 'default' },
      // SPEC §1: a user lives in one environment and signs in through its applications only.
      environment: { type: 'string', default: 'test' },
    },
  });
  if (sub !== 'create' && sub !== 'set-password') throw new UsageError('users needs one of: create, set-password');
  if (!values.email || !values.password) throw new UsageError(`users ${sub} needs --email and --password`);
  if (values.environment !== 'test' && values.environment !== 'live') throw new UsageError('--environment must be test or live');
  const environment: Environment = values.environment;
  return withRuntime(config, async ({ deps }) => {
    const organization = await deps.store.findOrganizationByName(values.org);
    if (!organization) throw new UsageError(`no organization named "${values.org}"`);
    try {
      const input = { organizationId: organization.id, environment, email: values.email!, password: values.password! };
      const user =
        sub === 'create'
          ? await createUser(deps, { ...input, ...(values.phone ? { phone: values.phone } : {}), ...(values.name ? { fullName: values.name } : {}) })
          : await setUserPassword(deps, input);
      const described = {
        id: user.id, email: user.email, phone: user.phone, hasSecondFactor: user.secondFactor === 'sms' || user.totpEnabledAt !== null, organizationId: user.organizationId, environment: user.environment,
      };
      print(values.json, described, `${sub === 'create' ? 'created' : 'password set for'} ${user.id} (${user.email}, ${user.environment})`);
      return 0;
    } catch (error) {
      if (error instanceof UserAdminError) throw new UsageError(error.message);
      throw error;
    }
  });
}
