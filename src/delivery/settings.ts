import * as v from 'valibot';

/** How one channel's messages leave Latchkey. */
export type ChannelSettings =
  | { kind: 'development' }
  | { kind: 'smtp'; url: string; from: string }
  | { kind: 'webhook'; url: string; secret: string };

/** An organization's delivery choice per channel; stored sealed (it holds passwords and secrets). */
export interface DeliverySettings {
  email: ChannelSettings;
  sms: ChannelSettings;
}

export const DEVELOPMENT_DELIVERY: DeliverySettings = Object.freeze({ email: { kind: 'development' as const }, sms: { kind: 'development' as const } });

const httpUrl = v.pipe(v.string(), v.url(), v.regex(/^https?:\/\//, 'must be an http(s) URL'));

export const ChannelSettingsSchema = v.variant('kind', [
  v.object({ kind: v.literal('development') }),
  v.object({ kind: v.literal('smtp'), url: v.pipe(v.string(), v.regex(/^smtps?:\/\/.+/, 'must be an smtp:// or smtps:// URL')), from: v.pipe(v.string(), v.minLength(3)) }),
  v.object({ kind: v.literal('webhook'), url: httpUrl, secret: v.pipe(v.string(), v.minLength(16, 'webhook secret must be at least 16 characters')) }),
]);

export const DeliverySettingsSchema = v.object({ email: ChannelSettingsSchema, sms: ChannelSettingsSchema });
