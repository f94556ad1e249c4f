import * as v from 'valibot';

/**
 * RP-Initiated Logout 1.0 §2: the end-session parameters, for the OpenAPI document (the endpoint reads
 * them by the OAuth parameter rules of protocol/oauth-params.ts, not with this schema).
 */
export const EndSessionParams = v.object({
  id_token_hint: v.optional(v.string()),
  client_id: v.optional(v.string()),
  post_logout_redirect_uri: v.optional(v.string()),
  state: v.optional(v.string()),
  logout_hint: v.optional(v.string()),
  ui_locales: v.optional(v.string()),
});

/** The confirmation form: the request carried through, the CSRF token and the answer. */
export const EndSessionConfirmForm = v.object({
  ...EndSessionParams.entries,
  csrf: v.string(),
  decision: v.picklist(['confirm', 'cancel']),
});
