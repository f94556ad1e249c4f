import type { DeliverySettings } from './settings.js';

interface MessageCommon {
  organizationId: string;
  channel: 'email' | 'sms';
  /** Email address or E.164 phone number. */
  to: string;
  subject: string;
  text: string;
}

/**
 * One message to one recipient: a one-time code (`code` kept apart so senders can keep it out of
 * their logs), or a security notice — a sign-in method of the person was added or removed — which
 * carries no secret.
 */
export type OutgoingMessage =
  | (MessageCommon & { type?: 'otp'; code: string; expiresAt: number })
  | (MessageCommon & { type: 'security_notice' });

/** A delivery adapter. `send` resolves once the provider accepted the message, and rejects otherwise. */
export interface Sender {
  send(message: OutgoingMessage): Promise<void>;
  /** Releases what the sender holds open (an SMTP connection pool). */
  close?(): Promise<void>;
}

/** Sends a message through the sender the organization configured for its channel. */
export interface Delivery {
  send(message: OutgoingMessage): Promise<void>;
  getSettings(organizationId: string): Promise<DeliverySettings>;
  setSettings(organizationId: string, settings: DeliverySettings): Promise<void>;
  /** Closes every sender's connections (at shutdown). */
  close(): Promise<void>;
}
