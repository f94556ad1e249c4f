import { generateId } from '../crypto/random.js';
import type { Logger } from '../observability/logger.js';
import { maskDestination } from '../protocol/contacts.js';
import type { Store } from '../storage/store.js';
import type { OutgoingMessage, Sender } from './sender.js';

/**
 * The default sender: nothing leaves the machine. The message (with its code) is kept in the
 * outbox table, read with `latchkey outbox`; the log line names the recipient, masked, and never the
 * code's digits.
 */
export function createDevelopmentSender(store: Store, logger: Logger, now: () => number): Sender {
  return {
    async send(message: OutgoingMessage) {
      await store.appendDevMessage({
        id: generateId('msg_', now()),
        organizationId: message.organizationId,
        channel: message.channel,
        recipient: message.to,
        subject: message.subject,
        body: message.text,
        createdAt: now(),
      });
      logger.info({ channel: message.channel, to: maskDestination(message.to) }, 'message kept in the development outbox (latchkey outbox)');
    },
  };
}
