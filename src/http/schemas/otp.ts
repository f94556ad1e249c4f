import * as v from 'valibot';
import { normalizeEmail, normalizePhone } from '../../protocol/contacts.js';
import { rule, text } from './common.js';

const contact = {
  email: v.optional(v.pipe(text(3, 320), v.trim(), v.email('email must be a valid address'))),
  phone: v.optional(text(3, 40)),
  /** ISO 3166-1 alpha-2 country for a phone number in national format. */
  defaultCountry: v.optional(v.pipe(v.string(), v.regex(/^[A-Z]{2}$/, 'defaultCountry must be an ISO 3166-1 alpha-2 code such as US'))),
};

type Contact = { email?: string; phone?: string; defaultCountry?: string };

// SPEC §5.4: exactly one of email / phone; the phone must parse (E.164, or national with
// defaultCountry). Both checks produce ordinary Valibot issues, so the 400 has the seed's shape.
const hasExactlyOneContact = (input: Contact) => (input.email === undefined) !== (input.phone === undefined);
const hasParsablePhone = (input: Contact) => input.phone === undefined || normalizePhone(input.phone, input.defaultCountry) !== undefined;
const EXACTLY_ONE = 'exactly one of email or phone is required';
const INVALID_PHONE = 'phone must be a valid number in E.164 (+14155552671) or national format with defaultCountry';

/** The destination the rules above accepted, normalized. */
export function destinationOf(input: Contact): { channel: 'email' | 'sms'; destination: string } {
  return input.email !== undefined
    ? { channel: 'email', destination: normalizeEmail(input.email) }
    : { channel: 'sms', destination: normalizePhone(input.phone!, input.defaultCountry)! };
}

/** SPEC §5.4 request body. */
export const OtpRequestBody = v.pipe(
  v.object({ ...contact, name: v.optional(text(1, 200)) }),
  rule((input) => hasExactlyOneContact(input), EXACTLY_ONE, 'exactly one of email, phone'),
  v.forward(rule((input) => hasParsablePhone(input), INVALID_PHONE, 'a valid phone number'), ['phone']),
);

/** SPEC §5.4 verify body. */
export const OtpVerifyBody = v.pipe(
  v.object({ ...contact, code: v.pipe(v.string(), v.regex(/^\d{6}$/, 'code must be 6 digits')) }),
  rule((input) => hasExactlyOneContact(input), EXACTLY_ONE, 'exactly one of email, phone'),
  v.forward(rule((input) => hasParsablePhone(input), INVALID_PHONE, 'a valid phone number'), ['phone']),
);

export const OkBody = v.object({ ok: v.literal(true) });
