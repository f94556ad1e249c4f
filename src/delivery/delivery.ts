import * as v from 'valibot';
import { decryptAtRest, encryptAtRest } from '../crypto/key-encryption.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../storage/store.js';
import { createDevelopmentSender } from './development.js';
import type { Delivery, Sender } from './sender.js';
import { DEVELOPMENT_DELIVERY, DeliverySettingsSchema, type ChannelSettings, type DeliverySettings } from './settings.js';
import { createSmtpSender, type SmtpTimeouts } from './smtp.js';
import { createWebhookSender } from './webhook.js';

/** How long a provider may take; the senders' own bounds when absent (tests on a busy machine pass longer ones). */
export interface DeliveryTimeouts {
  readonly smtp?: SmtpTimeouts;
  readonly webhookMs?: number;
}

/** Delivery backed by per-organization settings, sealed at rest with the key-encryption key. */
export function createDelivery(options: { store: Store; logger: Logger; keyEncryptionKey: Buffer; now: () => number; timeouts?: DeliveryTimeouts }): Delivery {
  const { store, keyEncryptionKey } = options;
  const development = createDevelopmentSender(store, options.logger, options.now);
  // One sender per organization and channel, kept while its configuration stays the same, so an SMTP
  // pool survives between messages; a changed configuration closes the old sender's connections.
  const senders = new Map<string, { configuration: string; sender: Sender }>();

  function senderFor(organizationId: string, channelName: string, channel: ChannelSettings): Sender {
    const key = `${organizationId}:${channelName}`;
    const configuration = JSON.stringify(channel);
    const kept = senders.get(key);
    if (kept?.configuration === configuration) return kept.sender;
    if (kept) {
      senders.delete(key);
      void kept.sender.close?.().catch((error: Error) => options.logger.warn({ err: error.message }, 'closing a replaced sender failed'));
    }
    if (channel.kind === 'development') return development;
    const sender = channel.kind === 'smtp'
        ? createSmtpSender(channel.url, channel.from, options.timeouts?.smtp)
        : createWebhookSender(channel.url, channel.secret, { timeoutMs: options.timeouts?.webhookMs });
    senders.set(key, { configuration, sender });
    return sender;
  }

  async function getSettings(organizationId: string): Promise<DeliverySettings> {
    const sealed = await store.getDeliverySettingsSealed(organizationId);
    if (!sealed) return DEVELOPMENT_DELIVERY;
    return v.parse(DeliverySettingsSchema, JSON.parse(decryptAtRest(keyEncryptionKey, sealed)));
  }

  return {
    getSettings,
    async setSettings(organizationId, settings) {
      const valid = v.parse(DeliverySettingsSchema, settings);
      await store.setDeliverySettingsSealed(organizationId, encryptAtRest(keyEncryptionKey, JSON.stringify(valid)));
    },
    async send(message) {
      const settings = await getSettings(message.organizationId);
      await senderFor(message.organizationId, message.channel, settings[message.channel]).send(message);
    },
    async close() {
      const open = [...senders.values()];
      senders.clear();
      await Promise.allSettled(open.map(({ sender }) => sender.close?.()));
    },
  };
}
