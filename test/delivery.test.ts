import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../src/delivery/webhook.js';
import { engines } from './helpers/engines.js';
import { requestOtp, verifyOtp } from './helpers/otp.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** A real SMTP server on loopback that keeps every message it receives. */
async function startSmtp(): Promise<{ port: number; messages: string[]; connections: { open: number }; close(): Promise<void> }> {
  const messages: string[] = [];
  const connections = { open: 0 };
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onConnect(_session, callback) {
      connections.open++;
      callback();
    },
    onClose() {
      connections.open--;
    },
    onData(stream, _session, callback) {
      let data = '';
      stream.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
      stream.on('end', () => {
        messages.push(data);
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  return { port, messages, connections, close: () => new Promise((resolve) => smtp.close(() => resolve())) };
}

/** A real HTTP receiver that verifies the webhook signature like a provider integration would. */
async function startReceiver(secret: string): Promise<{ url: string; received: any[]; failNext: { value: boolean }; close(): Promise<void> }> {
  const received: any[] = [];
  const failNext = { value: false };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      const timestamp = String(req.headers['x-latchkey-timestamp']);
      const isValid = req.headers['x-latchkey-signature'] === signWebhook(secret, timestamp, raw);
      if (!isValid) return res.writeHead(401).end();
      received.push({ ...JSON.parse(raw), timestamp });
      if (failNext.value) {
        failNext.value = false;
        return res.writeHead(503).end();
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/otp`,
    received,
    failNext,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe.each(engines)('OTP delivery adapters [%s]', (engine) => {
  let server: TestServer;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const secret = 'whsec_0123456789abcdef0123456789';

  beforeAll(async () => {
    server = await startTestServer(engine);
    smtp = await startSmtp();
    receiver = await startReceiver(secret);
    const { deps } = server.server.runtime;
    const organization = (await deps.store.findOrganizationByName('default'))!;
    await deps.delivery.setSettings(organization.id, {
      email: { kind: 'smtp', url: `smtp://127.0.0.1:${smtp.port}`, from: 'Latchkey <no-reply@latchkey.test>' },
      sms: { kind: 'webhook', url: receiver.url, secret },
    });
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
    await receiver?.close();
  });

  it('SMTP: the message arrives at a real SMTP server with the code, and the code signs in', async () => {
    const response = await requestOtp(server, { email: 'smtp@example.com' });
    expect(response.status).toBe(200);
    const message = smtp.messages.at(-1)!;
    expect(message).toMatch(/^To: smtp@example\.com/m);
    expect(message).toMatch(/^Subject: Your sign-in code/m);
    const code = /sign-in code is (\d{6})/.exec(message)![1]!;
    expect((await verifyOtp(server, { email: 'smtp@example.com', code })).status).toBe(200);
    // Nothing went to the development outbox.
    expect(await server.server.runtime.store.listDevMessages({ recipient: 'smtp@example.com' })).toEqual([]);
  });

  it('SMTP: changing the settings closes the old server\'s pooled connection; the new server gets the mail', async () => {
    const { deps } = server.server.runtime;
    const organization = (await deps.store.findOrganizationByName('default'))!;
    const before = await deps.delivery.getSettings(organization.id);
    const other = await startSmtp();
    try {
      expect((await requestOtp(server, { email: 'pool-a@example.com' })).status).toBe(200);
      expect(smtp.connections.open).toBe(1); // pooled: kept open between messages
      await deps.delivery.setSettings(organization.id, { ...before, email: { kind: 'smtp', url: `smtp://127.0.0.1:${other.port}`, from: 'Latchkey <no-reply@latchkey.test>' } });
      expect((await requestOtp(server, { email: 'pool-b@example.com' })).status).toBe(200);
      expect(other.messages.at(-1)).toMatch(/^To: pool-b@example\.com/m);
      const deadline = Date.now() + 5_000;
      while (smtp.connections.open > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(smtp.connections.open).toBe(0);
    } finally {
      await deps.delivery.setSettings(organization.id, before);
      await deps.delivery.close();
      await other.close();
    }
  });

  it('webhook: a signed JSON POST reaches a real receiver that verifies it, and the code signs in', async () => {
    const response = await requestOtp(server, { phone: '020 7946 0958', defaultCountry: 'GB' });
    expect(response.status).toBe(200);
    const delivery = receiver.received.at(-1);
    expect(delivery).toMatchObject({ type: 'otp', channel: 'sms', to: '+442079460958', code: expect.stringMatching(/^\d{6}$/) });
    expect(Number(delivery.timestamp)).toBeGreaterThan(1_700_000_000);
    expect((await verifyOtp(server, { phone: '+442079460958', code: delivery.code })).status).toBe(200);
  });

  it('a delivery failure → 502 delivery_failed and no usable code; a retry is not held by the cooldown', async () => {
    receiver.failNext.value = true;
    const failed = await requestOtp(server, { phone: '+14155550123' });
    expect(failed.status).toBe(502);
    expect(await failed.json()).toEqual({ error: 'delivery_failed', message: expect.any(String) });
    const leaked = receiver.received.at(-1).code;
    const attempt = await verifyOtp(server, { phone: '+14155550123', code: leaked });
    expect(attempt.status).toBe(401);
    expect((await attempt.json()).error).toBe('otp_expired');
    expect((await requestOtp(server, { phone: '+14155550123' })).status).toBe(200);
  });

  it('an unreachable SMTP server → 502 delivery_failed', async () => {
    const { deps } = server.server.runtime;
    const organization = (await deps.store.findOrganizationByName('default'))!;
    const settings = await deps.delivery.getSettings(organization.id);
    await deps.delivery.setSettings(organization.id, { ...settings, email: { kind: 'smtp', url: 'smtp://127.0.0.1:1', from: 'x@latchkey.test' } });
    const response = await requestOtp(server, { email: 'down@example.com' });
    expect(response.status).toBe(502);
    await deps.delivery.setSettings(organization.id, settings);
    // No usable code was left behind: any code is refused as expired (none pending).
    const attempt = await verifyOtp(server, { email: 'down@example.com', code: '123456' });
    expect((await attempt.json()).error).toBe('otp_expired');
  });

  it('an SMTP server that accepts the connection and never greets → 502 within the greeting timeout, not minutes', async () => {
    const sockets: import('node:net').Socket[] = [];
    const silent = createNetServer((socket) => sockets.push(socket)); // accepts, then says nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { deps } = server.server.runtime;
    const organization = (await deps.store.findOrganizationByName('default'))!;
    const settings = await deps.delivery.getSettings(organization.id);
    try {
      await deps.delivery.setSettings(organization.id, { ...settings, email: { kind: 'smtp', url: `smtp://127.0.0.1:${(silent.address() as AddressInfo).port}`, from: 'x@latchkey.test' } });
      const started = Date.now();
      const response = await requestOtp(server, { email: 'silent@example.com' });
      expect(response.status).toBe(502);
      expect(Date.now() - started).toBeLessThan(15_000); // the 5 s greeting timeout applied (nodemailer's default is 30 s)
    } finally {
      await deps.delivery.setSettings(organization.id, settings);
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 20_000);

  it('delivery settings are sealed at rest (no secret in the database)', async () => {
    const { deps } = server.server.runtime;
    const organization = (await deps.store.findOrganizationByName('default'))!;
    const sealed = await deps.store.getDeliverySettingsSealed(organization.id);
    expect(sealed).toMatch(/^v1\./);
    expect(sealed).not.toContain(secret);
  });
});
