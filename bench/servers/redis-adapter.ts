// A Redis adapter for oidc-provider (the persistent peer row): the adapter from oidc-provider's own
// example (example/adapters/redis.js in its repository), on ioredis. Every key carries the run's own
// prefix (ioredis `keyPrefix`), so the harness can delete exactly this run's keys afterwards and
// nothing else in the Redis database is touched.
import { Redis } from 'ioredis';

const grantable = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode']);
// Consumable models are hashes, so `consume` sets one field instead of rewriting the payload.
const consumable = new Set(['AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode']);

const grantKeyFor = (id: string) => `grant:${id}`;
const userCodeKeyFor = (userCode: string) => `userCode:${userCode}`;
const uidKeyFor = (uid: string) => `uid:${uid}`;

export function redisAdapterFactory(url: string, keyPrefix: string) {
  const client = new Redis(url, { keyPrefix, lazyConnect: false, maxRetriesPerRequest: 3 });

  class RedisAdapter {
    constructor(private readonly name: string) {}

    key(id: string) {
      return `${this.name}:${id}`;
    }

    async upsert(id: string, payload: Record<string, any>, expiresIn?: number) {
      const key = this.key(id);
      const multi = client.multi();
      if (consumable.has(this.name)) multi.hset(key, { payload: JSON.stringify(payload) });
      else multi.set(key, JSON.stringify(payload));
      if (expiresIn) multi.expire(key, expiresIn);
      if (grantable.has(this.name) && payload.grantId) {
        const grantKey = grantKeyFor(payload.grantId);
        multi.rpush(grantKey, key);
        // The grant's list lives as long as its longest-lived member.
        const ttl = await client.ttl(grantKey);
        if (expiresIn && expiresIn > ttl) multi.expire(grantKey, expiresIn);
      }
      if (payload.userCode) {
        multi.set(userCodeKeyFor(payload.userCode), id);
        if (expiresIn) multi.expire(userCodeKeyFor(payload.userCode), expiresIn);
      }
      if (payload.uid) {
        multi.set(uidKeyFor(payload.uid), id);
        if (expiresIn) multi.expire(uidKeyFor(payload.uid), expiresIn);
      }
      await multi.exec();
    }

    async find(id: string) {
      const data = consumable.has(this.name) ? await client.hgetall(this.key(id)) : await client.get(this.key(id));
      if (!data || (typeof data === 'object' && Object.keys(data).length === 0)) return undefined;
      if (typeof data === 'string') return JSON.parse(data);
      const { payload, ...rest } = data as Record<string, string>;
      return { ...rest, ...JSON.parse(payload!) };
    }

    async findByUid(uid: string) {
      const id = await client.get(uidKeyFor(uid));
      return id ? this.find(id) : undefined;
    }

    async findByUserCode(userCode: string) {
      const id = await client.get(userCodeKeyFor(userCode));
      return id ? this.find(id) : undefined;
    }

    async destroy(id: string) {
      await client.del(this.key(id));
    }

    async revokeByGrantId(grantId: string) {
      const multi = client.multi();
      const tokens = await client.lrange(grantKeyFor(grantId), 0, -1);
      for (const token of tokens) multi.del(token);
      multi.del(grantKeyFor(grantId));
      await multi.exec();
    }

    async consume(id: string) {
      await client.hset(this.key(id), 'consumed', Math.floor(Date.now() / 1000));
    }
  }

  return { adapter: (name: string) => new RedisAdapter(name), quit: () => client.quit() };
}

/** Deletes every key under `keyPrefix` (SCAN + UNLINK): this run's keys only, never a FLUSHDB. */
export async function deleteRedisPrefix(url: string, keyPrefix: string): Promise<number> {
  const client = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 3 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 10_000);
      cursor = next;
      if (keys.length > 0) deleted += await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return deleted;
}
