import nodemailer, { type Transporter } from 'nodemailer';
import type { OutgoingMessage, Sender } from './sender.js';

/** Sends email through an SMTP server (`smtp://user:pass@host:port`, or `smtps://` for implicit TLS). */
export function createSmtpSender(url: string, from: string): Sender {
  // One pooled transport per sender; senders are cached per organization setting.
  const transport: Transporter = nodemailer.createTransport(url, { pool: true, maxConnections: 2 } as never);
  return {
    async send(message: OutgoingMessage) {
      await transport.sendMail({ from, to: message.to, subject: message.subject, text: message.text });
    },
  };
}
