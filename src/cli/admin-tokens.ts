import { parseArgs } from 'node:util';
import type { Config } from '../config/config.js';
import { createAdminToken, describeAdminToken, listAdminTokens, revokeAdminToken, type AdminToken } from '../flows/admin-tokens.js';
import { ApiError } from '../protocol/errors.js';
import { print, withRuntime } from './runtime.js';
import { UsageError } from './usage-error.js';

/** `latchkey admin-tokens create|list|revoke` (SPEC §10): the same flows as the admin API. */
export async function runAdminTokens(config: Config, argv: string[]): Promise<number> {
  const [sub, ...args] = argv;
  const { values } = parseArgs({
    args,
    options: {
      json: { type: 'boolean', default: false },
      name: { type: 'string' },
      org: { type: 'string' },
      'all-orgs': { type: 'boolean', default: false },
      'read-only': { type: 'boolean', default: false },
      id: { type: 'string' },
    },
  });
  return withRuntime(config, async ({ deps }) => {
    try {
      if (sub === 'create') {
        if (!values.name) throw new UsageError('admin-tokens create needs --name');
        if (values.org !== undefined && values['all-orgs']) throw new UsageError('give --org NAME or --all-orgs, not both');
        let organizationId: string | null = null;
        if (!values['all-orgs']) {
          const name = values.org ?? 'default';
          const organization = await deps.store.findOrganizationByName(name);
          if (!organization) throw new UsageError(`no organization named "${name}" (latchkey orgs list)`);
          organizationId = organization.id;
        }
        const { token, secret } = await createAdminToken(deps, { name: values.name, organizationId, readOnly: values['read-only'] });
        const scope = organizationId === null ? 'every organization' : `organization ${values.org ?? 'default'}`;
        print(
          values.json,
          { ...describeAdminToken(token), token: secret },
          `created admin token ${token.id} (${token.name}, ${scope}${token.readOnly ? ', read-only' : ''}):\n${secret}\nIt is shown only this once.`,
        );
        return 0;
      }
      if (sub === 'list') {
        const tokens: AdminToken[] = [];
        let after: string | null = null;
        do {
          const page = await listAdminTokens(deps, {}, { after, limit: 200 });
          tokens.push(...page.items);
          after = page.nextAfter;
        } while (after !== null);
        const described = tokens.map(describeAdminToken);
        const line = (t: (typeof described)[number]) =>
          `${t.id}  ${t.name}  ${t.organizationId ?? 'all organizations'}${t.readOnly ? '  read-only' : ''}${t.revokedAt ? `  revoked ${t.revokedAt}` : ''}`;
        print(values.json, described, described.map(line).join('\n') || '(none)');
        return 0;
      }
      if (sub === 'revoke') {
        if (!values.id) throw new UsageError('admin-tokens revoke needs --id adm_…');
        const token = await revokeAdminToken(deps, values.id);
        print(values.json, describeAdminToken(token), `revoked ${token.id} (${token.name})`);
        return 0;
      }
      throw new UsageError('admin-tokens needs one of: create, list, revoke');
    } catch (error) {
      // The flows' refusals (unknown token, bad name) are the operator's to fix: one line, exit 2.
      if (error instanceof ApiError && error.status < 500) throw new UsageError(error.message);
      throw error;
    }
  });
}
