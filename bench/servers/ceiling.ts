// The ceiling: a bare hono app answering a small JSON POST — the most any handler here could do.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.post('/echo', async (c) => c.json({ ok: true, received: (await c.req.json()).n }));
serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.env.PORT) }, () => process.stdout.write('ready\n'));
