// Writes straight into a running Latchkey's store (SQLite file or PostgreSQL schema) so the benchmark
// can (1) mint large pools of single-use credentials — refresh tokens and authorization codes — in
// well under a second, and (2) grow the store to a million live sessions for the store-size scenario.
//
// Every row is a copy of a template row the server itself wrote (a credential minted over HTTP just
// before), with only its keys, secrets and instants replaced: all other columns, present and future,
// keep exactly the shape the store writes. Secrets are the server's own formats (`generateSecret`,
// `generateId`, `hashSecret` from src/crypto), so the server cannot tell a cloned credential from one
// it minted. Nothing in src/ is changed or bypassed at request time: the measured requests go through
// the whole HTTP stack and flows.
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { hashSecret } from '../src/crypto/hash.js';
import { generateId, generateSecret } from '../src/crypto/random.js';
import { pkce, type Code } from './scenario.js';

/** Per-column replacement when cloning a template row: a text value per clone, or one number for all. */
type Overrides = Record<string, string[] | number>;

interface Engine {
  columns(table: string): Promise<string[]>;
  /** Copies the row `table.keyColumn = templateKey` once per element of the array overrides. */
  clone(table: string, keyColumn: string, templateKey: string, overrides: Overrides): Promise<void>;
  /** Runs a statement with named parameters (`@name`), inside one transaction with the others given. */
  run(statements: Array<{ sql: string; params: Record<string, string | number> }>): Promise<void>;
  count(sql: string): Promise<number>;
  text(sql: string): Promise<string | undefined>;
  /** `delete from table where column in (keys)`, or `in (subquery = any key)` when `via` is given. */
  deleteWhereIn(table: string, column: string, via: string | undefined, keys: string[]): Promise<void>;
  afterBulkLoad(): Promise<void>;
  close(): Promise<void>;
  dialect: 'sqlite' | 'postgres';
}

export interface StoreSeeder {
  /** `count` refresh-token families cloned from the one `templateToken` opened (one session each). */
  cloneRefreshFamilies(templateToken: string, count: number): Promise<string[]>;
  /** `count` unused authorization codes cloned from `templateCode`, each with its own PKCE pair. */
  cloneAuthorizationCodes(templateCode: string, count: number, lifetimeMs: number): Promise<Code[]>;
  /**
   * Background families (an OAuth session and its live refresh token each) up to `total` in all,
   * generated inside the database (recursive CTE on SQLite, generate_series on PostgreSQL).
   */
  growBackground(templateToken: string, total: number): Promise<void>;
  /** Deletes refresh-token families (session and token) cloned but never used. */
  deleteRefreshFamilies(tokens: string[]): Promise<void>;
  /** Deletes authorization codes cloned but never used. */
  deleteAuthorizationCodes(codes: string[]): Promise<void>;
  /** Live (not revoked) sessions and live (not rotated, not revoked) refresh tokens stored now. */
  liveCounts(): Promise<{ sessions: number; refreshTokens: number }>;
  close(): Promise<void>;
}

/** Background session ids: `ses_00` + an 8-digit number + 16 hex digits — 30 characters like a real
 * `ses_` + ULID, and below every real id (ULIDs of this century start with `01`), so a range selects them. */
const backgroundId = (i: number) => `ses_00${String(i).padStart(8, '0')}`;

export async function openStoreSeeder(databaseUrl: string): Promise<StoreSeeder> {
  const engine = databaseUrl.startsWith('sqlite:') ? sqliteEngine(databaseUrl.slice('sqlite:'.length)) : await postgresEngine(databaseUrl);
  let background = 0;

  return {
    async cloneRefreshFamilies(templateToken, count) {
      const tokenHash = hashSecret(templateToken);
      const now = Date.now();
      const tokens = Array.from({ length: count }, () => generateSecret('rt_'));
      const sessionIds = tokens.map(() => generateId('ses_', now));
      const templateSession = await sessionOf(engine, tokenHash);
      await engine.clone('sessions', 'id', templateSession.id, {
        id: sessionIds,
        // Each OAuth family remembers the code that started it (a partial index holds only those).
        ...(templateSession.hasCodeHash ? { code_hash: tokens.map(() => hashSecret(generateSecret(''))) } : {}),
        created_at: now,
      });
      await engine.clone('refresh_tokens', 'token_hash', tokenHash, { token_hash: tokens.map(hashSecret), session_id: sessionIds, created_at: now });
      return tokens;
    },

    async cloneAuthorizationCodes(templateCode, count, lifetimeMs) {
      const now = Date.now();
      // The server's own format: the template's prefix, then 256 random bits in base64url.
      const prefix = /^[a-z]+_/.exec(templateCode)?.[0] ?? '';
      const codes = Array.from({ length: count }, () => ({ code: generateSecret(prefix), ...pkce() }));
      await engine.clone('authorization_codes', 'code_hash', hashSecret(templateCode), {
        code_hash: codes.map((c) => hashSecret(c.code)),
        code_challenge: codes.map((c) => c.challenge),
        created_at: now,
        expires_at: now + lifetimeMs,
      });
      return codes.map(({ code, verifier }) => ({ code, verifier }));
    },

    async growBackground(templateToken, total) {
      if (total <= background) return;
      const tokenHash = hashSecret(templateToken);
      const { id: templateSessionId } = await sessionOf(engine, tokenHash);
      const sessionColumns = await engine.columns('sessions');
      const tokenColumns = await engine.columns('refresh_tokens');
      const sqlite = engine.dialect === 'sqlite';
      const hex = (chars: number) => (sqlite ? `lower(substr(hex(randomblob(${Math.ceil(chars / 2)})), 1, ${chars}))` : `substr(md5(random()::text) || md5(random()::text), 1, ${chars})`);
      const pad = sqlite ? `printf('%08d', i)` : `lpad(i::text, 8, '0')`;
      const series = sqlite
        ? `(with recursive n(i) as (select @from union all select i + 1 from n where i < @to) select i from n) as n`
        : `generate_series(@from::bigint, @to::bigint) as n(i)`;
      const sessionValue: Record<string, string> = {
        id: `'ses_00' || ${pad} || ${hex(16)}`,
        code_hash: hex(43),
        // Spread over the last 184 days, like a store that has been running.
        created_at: `@now - i * 15897`,
        revoked_at: 'null',
      };
      const tokenValue: Record<string, string> = { token_hash: hex(43), session_id: 's.id', created_at: 's.created_at', rotated_at: 'null', revoked_at: 'null' };
      const batch = 100_000;
      for (let from = background + 1; from <= total; from += batch) {
        const to = Math.min(total, from + batch - 1);
        await engine.run([
          {
            sql: `insert into sessions (${sessionColumns.join(', ')}) select ${sessionColumns.map((c) => sessionValue[c] ?? `t.${c}`).join(', ')} from ${series}, sessions t where t.id = @template`,
            params: { from, to, now: Date.now(), template: templateSessionId },
          },
          {
            sql: `insert into refresh_tokens (${tokenColumns.join(', ')}) select ${tokenColumns.map((c) => tokenValue[c] ?? `t.${c}`).join(', ')} from sessions s, refresh_tokens t where s.id >= @low and s.id < @high and t.token_hash = @template`,
            params: { low: backgroundId(from), high: backgroundId(to + 1), template: tokenHash },
          },
        ]);
      }
      background = total;
      await engine.afterBulkLoad();
    },

    async deleteRefreshFamilies(tokens) {
      const hashes = tokens.map(hashSecret);
      // Sessions first (found through their tokens), then the tokens.
      await engine.deleteWhereIn('sessions', 'id', 'select session_id from refresh_tokens where token_hash', hashes);
      await engine.deleteWhereIn('refresh_tokens', 'token_hash', undefined, hashes);
    },

    async deleteAuthorizationCodes(codes) {
      await engine.deleteWhereIn('authorization_codes', 'code_hash', undefined, codes.map(hashSecret));
    },

    async liveCounts() {
      const sessions = await engine.count('select count(*) as n from sessions where revoked_at is null');
      const refreshTokens = await engine.count('select count(*) as n from refresh_tokens where rotated_at is null and revoked_at is null');
      return { sessions, refreshTokens };
    },

    close: () => engine.close(),
  };
}

async function sessionOf(engine: Engine, tokenHash: string): Promise<{ id: string; hasCodeHash: boolean }> {
  // Hashes are base64url: safe to inline, and this runs once per pool.
  const rows = await engine.count(`select count(*) as n from refresh_tokens r join sessions s on s.id = r.session_id where r.token_hash = '${tokenHash}' and s.code_hash is not null`);
  const id = await engine.text(`select session_id as v from refresh_tokens where token_hash = '${tokenHash}'`);
  if (!id) throw new Error(`no refresh token with hash ${tokenHash} in the store`);
  return { id, hasCodeHash: rows > 0 };
}

function sqliteEngine(file: string): Engine {
  const db = new SQLite(file);
  db.pragma('busy_timeout = 10000');
  // A large page cache for the bulk load, so pages are written to the WAL once, not spilled repeatedly.
  db.pragma('cache_size = -1000000');
  const columnCache = new Map<string, string[]>();
  const columns = (table: string) => {
    if (!columnCache.has(table)) columnCache.set(table, (db.prepare(`select name from pragma_table_info('${table}')`).all() as Array<{ name: string }>).map((r) => r.name));
    return columnCache.get(table)!;
  };
  return {
    dialect: 'sqlite',
    columns: async (table) => columns(table),
    async clone(table, keyColumn, templateKey, overrides) {
      const cols = columns(table);
      const statement = db.prepare(`insert into ${table} (${cols.join(', ')}) select ${cols.map((c) => (c in overrides ? `@${c}` : `t.${c}`)).join(', ')} from ${table} t where t.${keyColumn} = @__template`);
      const count = Math.max(...Object.values(overrides).map((v) => (Array.isArray(v) ? v.length : 0)));
      db.transaction(() => {
        for (let i = 0; i < count; i++) {
          const params: Record<string, string | number> = { __template: templateKey };
          for (const [c, v] of Object.entries(overrides)) params[c] = Array.isArray(v) ? v[i]! : v;
          if (statement.run(params).changes !== 1) throw new Error(`${table}: no template row ${templateKey}`);
        }
      })();
    },
    async run(statements) {
      db.transaction(() => {
        for (const { sql, params } of statements) db.prepare(sql).run(params);
      })();
    },
    async deleteWhereIn(table, column, via, keys) {
      const statement = db.prepare(via ? `delete from ${table} where ${column} in (${via} = ?)` : `delete from ${table} where ${column} = ?`);
      db.transaction(() => {
        for (const key of keys) statement.run(key);
      })();
    },
    count: async (sql) => Number((db.prepare(sql).get() as { n: number }).n),
    text: async (sql) => (db.prepare(sql).get() as { v: string } | undefined)?.v,
    async afterBulkLoad() {
      // Copy the bulk load out of the WAL now, not in the middle of a measured run.
      db.pragma('wal_checkpoint(TRUNCATE)');
    },
    close: async () => void db.close(),
  };
}

async function postgresEngine(url: string): Promise<Engine> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const columnCache = new Map<string, string[]>();
  const columns = async (table: string) => {
    if (!columnCache.has(table)) {
      const { rows } = await client.query(`select column_name from information_schema.columns where table_schema = current_schema() and table_name = $1 order by ordinal_position`, [table]);
      columnCache.set(table, rows.map((r) => r.column_name as string));
    }
    return columnCache.get(table)!;
  };
  /** `@name` parameters → `$n`. */
  const positional = (sql: string, params: Record<string, string | number>) => {
    const names = Object.keys(params);
    return { text: sql.replace(/@(\w+)/g, (_, name: string) => `$${names.indexOf(name) + 1}`), values: names.map((n) => params[n]) };
  };
  return {
    dialect: 'postgres',
    columns,
    async clone(table, keyColumn, templateKey, overrides) {
      const cols = await columns(table);
      const arrays = Object.entries(overrides).filter((e): e is [string, string[]] => Array.isArray(e[1]));
      const scalars = Object.entries(overrides).filter((e): e is [string, number] => !Array.isArray(e[1]));
      const count = arrays[0]?.[1].length ?? 0;
      const chunk = 10_000;
      await client.query('begin');
      try {
        for (let start = 0; start < count; start += chunk) {
          const values: unknown[] = [templateKey, ...arrays.map(([, v]) => v.slice(start, start + chunk)), ...scalars.map(([, v]) => v)];
          const expression = (c: string) => {
            const a = arrays.findIndex(([name]) => name === c);
            if (a >= 0) return `u.c${a}`;
            const s = scalars.findIndex(([name]) => name === c);
            return s >= 0 ? `$${2 + arrays.length + s}::bigint` : `t.${c}`;
          };
          const unnest = `unnest(${arrays.map((_, i) => `$${i + 2}::text[]`).join(', ')}) as u(${arrays.map((_, i) => `c${i}`).join(', ')})`;
          const result = await client.query(`insert into ${table} (${cols.join(', ')}) select ${cols.map(expression).join(', ')} from ${table} t, ${unnest} where t.${keyColumn} = $1`, values);
          if (result.rowCount !== Math.min(chunk, count - start)) throw new Error(`${table}: no template row ${templateKey}`);
        }
        await client.query('commit');
      } catch (error) {
        await client.query('rollback');
        throw error;
      }
    },
    async run(statements) {
      await client.query('begin');
      try {
        for (const { sql, params } of statements) await client.query(positional(sql, params));
        await client.query('commit');
      } catch (error) {
        await client.query('rollback');
        throw error;
      }
    },
    async deleteWhereIn(table, column, via, keys) {
      for (let start = 0; start < keys.length; start += 10_000) {
        const chunk = keys.slice(start, start + 10_000);
        await client.query(via ? `delete from ${table} where ${column} in (${via} = any($1::text[]))` : `delete from ${table} where ${column} = any($1::text[])`, [chunk]);
      }
    },
    count: async (sql) => Number((await client.query(sql)).rows[0]?.n ?? 0),
    text: async (sql) => (await client.query(sql)).rows[0]?.v as string | undefined,
    async afterBulkLoad() {
      // Fresh planner statistics and a checkpoint now, so neither lands in a measured run.
      await client.query('analyze sessions, refresh_tokens');
      await client.query('checkpoint').catch(() => undefined); // needs a superuser; best effort
    },
    close: () => client.end(),
  };
}
