import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTP_TIMEOUTS, createSmtpSender } from '../src/delivery/smtp.js';
import { createWebhookSender } from '../src/delivery/webhook.js';
import { openAtRest, sealedUnder } from './helpers/at-rest.js';
import { describeEachEngine } from './helpers/engines.js';
import { requestOtp, verifyOtp } from './helpers/otp.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * A real SMTP server on loopback that keeps every message it receives. Issue 11.15: it greets at
 * once (smtp-server otherwise first asks the machine's DNS server for the reverse name of 127.0.0.1,
 * up to 1.5 s, which a loaded machine adds to the client's connection deadline), and it counts TCP
 * connections where they open and close — onConnect runs only after that lookup, so a connection the
 * client had already given up on was counted after its close and never uncounted.
 */
async function startSmtp(): Promise<{ port: number; messages: string[]; connections: { open: number }; allClosed(): Promise<void>; close(): Promise<void> }> {
  const messages: string[] = [];
  const connections = { open: 0 };
  let onAllClosed: (() => void)[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    onData(stream, _session, callback) {
      let data = '';
      stream.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
      stream.on('end', () => {
        messages.push(data);
        callback();
      });
    },
  });
  smtp.server.on('connection', (socket: Socket) => {
    connections.open++;
    socket.once('close', () => {
      connections.open--;
      if (connections.open === 0) for (const resolve of onAllClosed.splice(0)) resolve();
    });
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  return {
    port,
    messages,
    connections,
    /** Resolves once no connection is open: waits for the event, not for a fixed time. */
    allClosed: () => (connections.open === 0 ? Promise.resolve() : new Promise<void>((resolve) => onAllClosed.push(resolve))),
    close: () => new Promise((resolve) => smtp.close(() => resolve())),
  };
}

/**
 * The signature as docs/configuration.md documents it, written here from that text and not taken
 * from the implementation: `v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`.
 */
function documentedSignature(secret: string, timestamp: string, rawBody: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`, 'utf8').digest('hex')}`;
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
      const isValid = req.headers['x-latchkey-signature'] === documentedSignature(secret, timestamp, raw);
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

const PATIENT_SMTP = { connectionTimeout: 60_000, greetingTimeout: 60_000, socketTimeout: 60_000 };

describeEachEngine('OTP delivery adapters', (engine) => {
  let server: TestServer;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const secret = 'whsec_0123456789abcdef0123456789';

  beforeAll(async () => {
    // Issue 11.15: the providers here are on loopback and answer at once; what bounds these tests is
    // the test timeout, not the production 5-second deadlines racing a busy machine's scheduler.
    server = await startTestServer(engine, {}, { deliveryTimeouts: { smtp: PATIENT_SMTP, webhookMs: 60_000 } });
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
      // The old pool is closed in the background: wait for the close itself (the test timeout bounds it).
      await smtp.allClosed();
      expect(smtp.connections.open).toBe(0);
    } finally {
      await deps.delivery.setSettings(organization.id, before);
      await deps.delivery.close();
      await other.close();
    }
  });

  it('SPEC §5.4 webhook: a signed JSON POST reaches a real receiver that checks the documented HMAC-SHA256 signature, and the code signs in', async () => {
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

  it('SPEC §4: delivery settings are sealed at rest under LATCHKEY_SECRET: an independent derivation opens them, another secret does not', async () => {
    const { deps } = server.server.runtime;
    const organization = (await deps.store.findOrganizationByName('default'))!;
    const sealed = (await deps.store.getDeliverySettingsSealed(organization.id))!;
    expect(sealed).toMatch(/^v1\./);
    expect(sealed).not.toContain(secret);
    // Opened with a key derived in the test from LATCHKEY_SECRET, it holds exactly the settings…
    const opened = JSON.parse(openAtRest(server.server.runtime.config.secret!, sealed));
    expect(opened).toEqual(await deps.delivery.getSettings(organization.id));
    expect(opened.sms).toEqual({ kind: 'webhook', url: receiver.url, secret });
    // …and under any other secret it does not open.
    expect(sealedUnder('another-secret-entirely-0123456789', sealed)).toBe(false);
  });
});

describe('SMTP sender timeouts', () => {
  it('issue 11.15: a server that accepts the connection and never greets fails the send with a timeout, not a hang', async () => {
    const sockets: Socket[] = [];
    const silent = createNetServer((socket) => sockets.push(socket)); // accepts, then says nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    // Short bounds: this proves they reach nodemailer (whose own defaults are 30 s and 2 minutes,
    // which the test timeout would catch) without waiting the production 5 s or timing anything.
    const sender = createSmtpSender(`smtp://127.0.0.1:${(silent.address() as AddressInfo).port}`, 'x@latchkey.test', {
      connectionTimeout: 200, greetingTimeout: 200, socketTimeout: 200,
    });
    try {
      await expect(sender.send({ organizationId: 'org_x', channel: 'email', to: 'silent@example.com', subject: 's', text: 't', code: '123456', expiresAt: 0 }))
        .rejects.toMatchObject({ code: 'ETIMEDOUT' });
    } finally {
      await sender.close?.();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
    // Production bounds a silent server to 5 s (connecting and the greeting together).
    expect(SMTP_TIMEOUTS).toEqual({ connectionTimeout: 5_000, greetingTimeout: 5_000, socketTimeout: 10_000 });
  });
});

describe('webhook payload of a security notice', () => {
  it('review of issue 18: a security notice is posted signed, with type "security_notice" and neither code nor expiry', async () => {
    const secret = 'whsec_notice_0123456789abcdef012345';
    const receiver = await startReceiver(secret);
    try {
      const sender = createWebhookSender(receiver.url, secret);
      await sender.send({ type: 'security_notice', organizationId: 'org_1', channel: 'email', to: 'ada@example.com', subject: 'A passkey was added to your account', text: 'A new passkey was added.' });
      await sender.send({ organizationId: 'org_1', channel: 'sms', to: '+14155550100', subject: 'Sign-in code', text: '123456 is your code', code: '123456', expiresAt: Date.UTC(2026, 11, 2) });
      const [notice, otp] = receiver.received;
      expect(notice).toEqual({ type: 'security_notice', channel: 'email', to: 'ada@example.com', subject: 'A passkey was added to your account', text: 'A new passkey was added.', organizationId: 'org_1', timestamp: expect.any(String) });
      expect(otp).toMatchObject({ type: 'otp', code: '123456', expiresAt: '2026-12-02T00:00:00.000Z' });
    } finally {
      await receiver.close();
    }
  });
});
