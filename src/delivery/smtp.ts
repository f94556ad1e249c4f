import type { Transporter } from 'nodemailer';
import type { OutgoingMessage, Sender } from './sender.js';

/** How long an SMTP server may take, in milliseconds (nodemailer's names). */
export interface SmtpTimeouts {
  readonly connectionTimeout: number;
  readonly greetingTimeout: number;
  readonly socketTimeout: number;
}

/**
 * Bounded like the webhook: a silent server must not hold an OTP request (or the pool) for minutes.
 * nodemailer counts connecting and the greeting against `connectionTimeout` together.
 */
export const SMTP_TIMEOUTS: SmtpTimeouts = Object.freeze({ connectionTimeout: 5_000, greetingTimeout: 5_000, socketTimeout: 10_000 });

/** Sends email through an SMTP server (`smtp://user:pass@host:port`, or `smtps://` for implicit TLS). */
export function createSmtpSender(url: string, from: string, timeouts: SmtpTimeouts = SMTP_TIMEOUTS): Sender {
  // One pooled transport per sender; senders are cached per organization setting. nodemailer is
  // loaded at the first send: most deployments never use SMTP, and it is ~13 MB of resident memory.
  let transport: Promise<Transporter> | undefined;
  const open = async () => {
    const { default: nodemailer } = await import('nodemailer');
    // The URL goes inside the options: createTransport(url, second) would read `second` as message
    // defaults and silently ignore the pool and every timeout.
    return nodemailer.createTransport({ url, pool: true, maxConnections: 2, ...timeouts } as never);
  };
  return {
    async send(message: OutgoingMessage) {
      // A failed load is not kept: the next message tries again.
      transport ??= open().catch((error: unknown) => {
        transport = undefined;
        throw error;
      });
      await (await transport).sendMail({ from, to: message.to, subject: message.subject, text: message.text });
    },
    async close() {
      const opened = transport;
      transport = undefined;
      if (!opened) return;
      const pool = await opened.catch(() => undefined);
      if (!pool) return;
      // Messages already queued are sent first (each bounded by the timeouts above): closing a busy
      // pool would fail them. Bounded too, so a shutdown never waits on a pool for long.
      if (!pool.isIdle()) {
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, 15_000);
          pool.once('idle', () => {
            clearTimeout(timer);
            resolve(undefined);
          });
        });
      }
      pool.close();
    },
  };
}
