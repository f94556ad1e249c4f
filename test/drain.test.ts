import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { closeListeners, createDrain, type ClosableServer } from '../src/http/drain.js';

/** A few turns of the event loop: enough for any already-scheduled close to have run. */
async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('graceful shutdown (issue 12.2)', () => {
  let server: ServerType | undefined;
  afterEach(() => {
    (server as ClosableServer | undefined)?.closeAllConnections?.();
    server?.close();
  });

  it('issue 12.2: a response whose handler returned but whose body is still being written arrives whole', async () => {
    // The body's second half is held back until the test lets it go: the handler has long returned
    // its Response, but the answer is not written out — exactly the window the old drain cut.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const encoder = new TextEncoder();
    const app = new Hono().get('/answer', () => new Response(new ReadableStream({
      start(controller) {
        controller.enqueue(encoder.encode('{"saved":'));
      },
      async pull(controller) {
        await released;
        controller.enqueue(encoder.encode('true}'));
        controller.close();
      },
    }), { headers: { 'content-type': 'application/json' } }));
    const drain = createDrain();
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: (req, env) => drain.track(() => app.fetch(req, env)), hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    drain.watch(server);
    const { port } = server.address() as AddressInfo;

    let sawFirstChunk!: () => void;
    const firstChunk = new Promise<void>((resolve) => (sawFirstChunk = resolve));
    const body = new Promise<{ text: string; complete: boolean }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/answer' }, (res: IncomingMessage) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          sawFirstChunk();
        });
        res.on('end', () => resolve({ text, complete: res.complete }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });

    await firstChunk;
    let isClosed = false;
    const closing = closeListeners([server as ClosableServer], drain, 60_000).then(() => (isClosed = true));
    await turns();
    expect(drain.isDraining).toBe(true);
    expect(isClosed).toBe(false); // still waiting for the answer to be written out
    release();
    await expect(body).resolves.toEqual({ text: '{"saved":true}', complete: true });
    await closing;
    expect(isClosed).toBe(true);
  });

  it('issue 12.2: with nothing in flight, closing does not wait', async () => {
    const drain = createDrain();
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: () => new Response('ok'), hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    drain.watch(server);
    await closeListeners([server as ClosableServer], drain, 60_000);
    expect(drain.isDraining).toBe(true);
  });
});
