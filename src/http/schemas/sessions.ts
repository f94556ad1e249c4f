import * as v from 'valibot';
import { IsoTime, text } from './common.js';

/** SPEC §5 AuthSession. */
export const AuthSessionBody = v.object({
  session: v.object({
    type: v.picklist(['guest', 'authenticated']),
    consumerId: v.string(),
    expiresAt: IsoTime,
    email: v.optional(v.string()),
    phone: v.optional(v.string()),
    guestId: v.optional(v.string()),
  }),
  accessToken: v.string(),
  refreshToken: v.string(),
  refreshTokenTtlSeconds: v.number(),
  beaconToken: v.string(),
});

/** SPEC §5.5 request. */
export const RefreshRequest = v.object({ refreshToken: text(1, 512) });

export const RefreshResponse = v.object({
  accessToken: v.string(),
  accessTokenExpiresAt: IsoTime,
  refreshToken: v.string(),
  refreshTokenTtlSeconds: v.number(),
  beaconToken: v.string(),
});

/** SPEC §5.7 response. */
export const ConsumerProfileBody = v.object({
  id: v.string(),
  type: v.picklist(['guest', 'authenticated']),
  email: v.optional(v.string()),
  phone: v.optional(v.string()),
  fullName: v.optional(v.string()),
  createdAt: IsoTime,
  identities: v.array(v.object({ provider: v.string(), issuer: v.string(), subject: v.string() })),
});
