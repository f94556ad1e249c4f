import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/** Email addresses are compared lower-cased and trimmed. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * A phone number in E.164 (`+14155552671`), from E.164 input or a national format with its ISO
 * country (`(415) 555-2671` + `US`). Undefined when it is not a valid number.
 */
export function normalizePhone(phone: string, defaultCountry?: string): string | undefined {
  const parsed = parsePhoneNumberFromString(phone, defaultCountry as CountryCode | undefined);
  return parsed?.isValid() ? parsed.number : undefined;
}

/** `+1 ••• ••• 2671`-style masking for logs and for the login answer of SPEC §6.2. */
export function maskDestination(destination: string): string {
  if (destination.includes('@')) {
    const [local, domain] = destination.split('@') as [string, string];
    return `${local.slice(0, 1)}•••@${domain}`;
  }
  return `${destination.slice(0, 2)}•••${destination.slice(-2)}`;
}

/** A normalized OTP destination: lower-cased email or E.164 phone. */
export interface OtpDestination {
  channel: 'email' | 'sms';
  destination: string;
}
