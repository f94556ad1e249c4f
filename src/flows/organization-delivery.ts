import * as v from 'valibot';
import { ChannelSettingsSchema, DeliverySettingsSchema, type ChannelSettings } from '../delivery/settings.js';
import { withActor, type AuditActor } from './admin-principal.js';
import type { FlowDeps } from './deps.js';

/** The schema of one channel's settings, for the admin API's request body (the same one that validates them here). */
export { ChannelSettingsSchema };

/** Delivery settings that cannot be stored; the CLI and the admin API say why (400 / usage error). */
export class InvalidDeliverySettings extends Error {}

/**
 * How an organization's one-time passcodes of one channel leave Latchkey (SPEC §5.4) — the flow of
 * `latchkey orgs set-delivery` and of the admin API. The settings are validated whole, stored sealed
 * (they hold SMTP passwords and webhook secrets) and audited by kind only: no secret is ever echoed.
 */
export async function setOrganizationDelivery(
  deps: FlowDeps,
  organizationId: string,
  channel: 'email' | 'sms',
  settings: ChannelSettings,
  actor?: AuditActor,
): Promise<{ channel: 'email' | 'sms'; kind: ChannelSettings['kind'] }> {
  if (settings.kind === 'smtp' && channel !== 'email') throw new InvalidDeliverySettings('SMTP delivers email only: use the email channel');
  const checkedChannel = v.safeParse(ChannelSettingsSchema, settings);
  if (!checkedChannel.success) throw new InvalidDeliverySettings(`invalid delivery settings: ${checkedChannel.issues.map((i) => i.message).join('; ')}`);
  const merged = v.safeParse(DeliverySettingsSchema, { ...(await deps.delivery.getSettings(organizationId)), [channel]: checkedChannel.output });
  if (!merged.success) throw new InvalidDeliverySettings(`invalid delivery settings: ${merged.issues.map((i) => i.message).join('; ')}`);
  await deps.delivery.setSettings(organizationId, merged.output);
  await deps.audit.record('organization.delivery_changed', organizationId, withActor({ channel, kind: settings.kind }, actor));
  return { channel, kind: settings.kind };
}

/** What each channel uses, without any of its settings (they may hold secrets). */
export async function describeOrganizationDelivery(deps: FlowDeps, organizationId: string): Promise<Record<'email' | 'sms', ChannelSettings['kind']>> {
  const settings = await deps.delivery.getSettings(organizationId);
  return { email: settings.email.kind, sms: settings.sms.kind };
}
