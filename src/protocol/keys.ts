// SPEC §1: publishable keys are `pk_<environment>_` + base64url, secret keys `sk_<environment>_` +
// base64url. Anything else — U+0000, a lone surrogate, a space, an over-long value — is no key any
// application has, so it is refused as unknown without a store lookup (issue 11.3).
const PUBLISHABLE_KEY = /^pk_(test|live)_[A-Za-z0-9_-]{16,128}$/;
const SECRET_KEY = /^sk_(test|live)_[A-Za-z0-9_-]{16,128}$/;

/** Whether `value` has the shape of a publishable key (it may still be unknown). */
export function isPublishableKeyShape(value: string): boolean {
  return PUBLISHABLE_KEY.test(value);
}

/** Whether `value` has the shape of a secret key (it may still be unknown). */
export function isSecretKeyShape(value: string): boolean {
  return SECRET_KEY.test(value);
}
