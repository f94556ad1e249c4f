// The floor: only the unavoidable work of a token response — one Ed25519 JWT signature through a
// cached node:crypto KeyObject and one SQLite insert — behind the same HTTP stack.
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import SQLite from 'better-sqlite3';
import { Hono } from 'hono';

const { privateKey } = generateKeyPairSync('ed25519');
const db = new SQLite(join(mkdtempSync(join(tmpdir(), 'latchkey-floor-')), 'floor.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('create table tokens (id text primary key, created_at integer not null)');
const insert = db.prepare('insert into tokens (id, created_at) values (?, ?)');
const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'at+jwt', kid: 'floor' })).toString('base64url');

const app = new Hono();
app.post('/token', (c) => {
  const jti = randomUUID();
  const now = Math.floor(Date.now() / 1000);
  const payload = Buffer.from(JSON.stringify({ iss: 'http://127.0.0.1', sub: 'app', iat: now, exp: now + 21600, jti })).toString('base64url');
  const signature = sign(null, Buffer.from(`${header}.${payload}`), privateKey).toString('base64url');
  insert.run(jti, Date.now());
  return c.json({ access_token: `${header}.${payload}.${signature}`, token_type: 'Bearer', expires_in: 21600 });
});
serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.env.PORT) }, () => process.stdout.write('ready\n'));
