import { describe, expect, it } from 'vitest';
import { createAuditLog } from '../src/observability/audit.js';
import { createLogger } from '../src/observability/logger.js';
import type { AuditEvent, Store } from '../src/storage/store.js';

/** A store that only records audit batches, and can be told to fail (always, or on one bad event). */
function batchingStore(options: { fail?: boolean; refuse?: (event: AuditEvent) => boolean } = {}) {
  const batches: AuditEvent[][] = [];
  const store = {
    async recordAuditEvents(events: readonly AuditEvent[]) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (options.fail) throw new Error('database unavailable');
      if (options.refuse && events.some(options.refuse)) throw new Error('constraint violated');
      batches.push([...events]);
    },
  } as unknown as Store;
  return { store, batches };
}

const clock = { now: () => 1_800_000_000_000 };
const logger = createLogger('silent');

describe('audit log group commit', () => {
  it('writes the events recorded together in one batch, and each record resolves only once it is stored', async () => {
    const { store, batches } = batchingStore();
    const audit = createAuditLog(store, clock, logger);
    let stored = 0;
    const records = Array.from({ length: 25 }, (_, i) => audit.record('session.started', 'org_a', { n: i }).then(() => stored++));
    await Promise.resolve();
    expect(stored).toBe(0); // nothing resolves before the write
    await Promise.all(records);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.map((e) => e.data.n)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(new Set(batches[0]!.map((e) => e.id)).size).toBe(25);
    expect(batches[0]![0]).toMatchObject({ type: 'session.started', organizationId: 'org_a', createdAt: clock.now() });
  });

  it('events recorded after a batch left go into the next one', async () => {
    const { store, batches } = batchingStore();
    const audit = createAuditLog(store, clock, logger);
    await audit.record('login.failed', null);
    await Promise.all([audit.record('login.failed', null), audit.record('login.succeeded', null)]);
    expect(batches.map((b) => b.map((e) => e.type))).toEqual([['login.failed'], ['login.failed', 'login.succeeded']]);
  });

  it('splits a large burst into batches of at most 200', async () => {
    const { store, batches } = batchingStore();
    const audit = createAuditLog(store, clock, logger);
    await Promise.all(Array.from({ length: 450 }, () => audit.record('otp.sent', 'org_a')));
    expect(batches.map((b) => b.length)).toEqual([200, 200, 50]);
  });

  it('one event the store refuses fails only its own record; its batch neighbours are stored one by one', async () => {
    const { store, batches } = batchingStore({ refuse: (event) => event.data.bad === true });
    const audit = createAuditLog(store, clock, logger);
    const results = await Promise.allSettled([audit.record('otp.sent', 'org_a', { n: 1 }), audit.record('otp.sent', 'org_a', { bad: true }), audit.record('otp.sent', 'org_a', { n: 3 })]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(batches.flat().map((e) => e.data.n).sort()).toEqual([1, 3]);
  });

  it('a failed write rejects every record that could not be stored, so the requests fail rather than answer unaudited', async () => {
    const { store } = batchingStore({ fail: true });
    const audit = createAuditLog(store, clock, logger);
    const results = await Promise.allSettled([audit.record('otp.sent', 'org_a'), audit.record('otp.sent', 'org_b')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
