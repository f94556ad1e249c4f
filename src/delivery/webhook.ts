import { createHmac } from 'node:crypto';
import type { OutgoingMessage, Sender } from './sender.js';

/** Header names of the webhook signature (documented in docs/delivery.md). */
export const WEBHOOK_TIMESTAMP_HEADER = 'x-latchkey-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'x-latchkey-signature';

/**
 * The signature a receiver recomputes: `v1=` + hex HMAC-SHA256 under the shared secret over
 * `<timestamp>.<raw body>`. Binding the timestamp lets receivers refuse replays of old deliveries.
 */
export function signWebhook(secret: string, timestamp: string, rawBody: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
}

/** POSTs each message as JSON to a provider-facing endpoint (SMS gateways or anything custom). */
export function createWebhookSender(url: string, secret: string, options: { timeoutMs?: number; nowSeconds?: () => number } = {}): Sender {
  return {
    async send(message: OutgoingMessage) {
      const body = JSON.stringify({
        type: message.type ?? 'otp',
        channel: message.channel,
        to: message.to,
        subject: message.subject,
        text: message.text,
        ...(message.type === 'security_notice' ? {} : { code: message.code, expiresAt: new Date(message.expiresAt).toISOString() }),
        organizationId: message.organizationId,
      });
      const timestamp = String(options.nowSeconds?.() ?? Math.floor(Date.now() / 1000));
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [WEBHOOK_TIMESTAMP_HEADER]: timestamp,
          [WEBHOOK_SIGNATURE_HEADER]: signWebhook(secret, timestamp, body),
        },
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
      });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`webhook answered ${response.status}`);
    },
  };
}
