import * as v from 'valibot';

/** RFC 6750 §2.2: the access token in a form-encoded POST body (documented; read by the UserInfo handler). */
export const UserInfoFormBody = v.object({ access_token: v.optional(v.string()) });

/** OpenID Connect Core §5.3.2 response: `sub` and the standard claims (§5.1) the token may see. */
export const UserInfoBody = v.object({
  sub: v.string(),
  name: v.optional(v.string()),
  given_name: v.optional(v.string()),
  family_name: v.optional(v.string()),
  updated_at: v.optional(v.number()),
  email: v.optional(v.string()),
  email_verified: v.optional(v.boolean()),
  phone_number: v.optional(v.string()),
  phone_number_verified: v.optional(v.boolean()),
  address: v.optional(v.record(v.string(), v.unknown())),
});
