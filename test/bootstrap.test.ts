import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { bootstrapDemoApplication, ensureDefaultOrganization } from '../src/flows/bootstrap.js';
import { createLogger } from '../src/observability/logger.js';
import { createRuntime, type Runtime } from '../src/server.js';
import { openStore } from '../src/storage/sql-store.js';
import { createTestDatabase, describeEachEngine } from './helpers/engines.js';

describeEachEngine('issue 11.10 / SPEC §1, §8: first-start bootstrap is race-safe', (engine) => {
  async function runtimes(count: number, url: string): Promise<Runtime[]> {
    const config = loadConfig({ LATCHKEY_DATABASE_URL: url, LATCHKEY_SECRET: 'test-secret-test-secret-test-secret-0123' });
    // The schema first (migrations have their own lock, and SQLite is one instance anyway), then
    // the runtimes together, as instances starting at once would.
    await (await openStore(url)).close();
    return Promise.all(Array.from({ length: count }, () => createRuntime(config, { logger: createLogger('silent'), migrate: false })));
  }
  const close = (all: Runtime[]) => Promise.all(all.map(async (r) => { await r.rateLimits.close(); await r.store.close(); }));

  it('issue 11.10: runtimes opening a new database together leave exactly one `default` organization', async () => {
    const database = await createTestDatabase(engine);
    const all = await runtimes(4, database.url);
    try {
      expect((await all[0]!.store.listOrganizations()).map((o) => o.name)).toEqual(['default']);
      // Asking again creates nothing.
      expect(await Promise.all(all.map((r) => ensureDefaultOrganization(r.deps)))).toEqual([false, false, false, false]);
    } finally {
      await close(all);
      await database.drop();
    }
  });

  it('issue 11.10 / SPEC §8: of several first starts at once, exactly one makes the demo application; later starts make none', async () => {
    const database = await createTestDatabase(engine);
    const all = await runtimes(4, database.url);
    try {
      const demos = await Promise.all(all.map((r) => bootstrapDemoApplication(r.deps)));
      expect(demos.filter(Boolean)).toHaveLength(1);
      expect(await bootstrapDemoApplication(all[0]!.deps)).toBeUndefined();
      expect((await all[0]!.store.listApplications()).map((a) => a.name)).toEqual(['Demo application']);
    } finally {
      await close(all);
      await database.drop();
    }
  });
});
