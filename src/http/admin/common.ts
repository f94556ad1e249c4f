import * as v from 'valibot';
import { InvalidApplication } from '../../flows/applications.js';
import { BrandingError } from '../../flows/branding.js';
import { InvalidInput } from '../../protocol/errors.js';
import { ErrorBody, InternalErrorBody, ValidationErrorBody } from '../schemas/common.js';

/** Response descriptions every admin route shares (SPEC §10); spread the ones a route can answer. */
export const ADMIN_RESPONSES = {
  400: { description: 'validation_error (body or query), or invalid_input', schema: v.union([ValidationErrorBody, ErrorBody]) },
  401: { description: 'authentication_required (no token) / invalid_token (unknown or revoked); WWW-Authenticate: Bearer', schema: ErrorBody },
  403: { description: 'forbidden: a read-only token, or a change only an all-organizations token may make', schema: ErrorBody },
  404: { description: 'not_found: no such resource, or it belongs to an organization this token does not see', schema: ErrorBody },
  409: { description: 'conflict', schema: ErrorBody },
  500: { description: 'Internal server error', schema: InternalErrorBody },
} as const;

/** The admin API's tag in the OpenAPI document: one tag, apart from the public API's. */
export const ADMIN_TAG = 'Admin';

/** ISO 8601 instant, or null. */
export const NullableTime = v.nullable(v.string());

/**
 * Runs a flow whose refusals are plain Errors written for the CLI (BrandingError, InvalidApplication)
 * and turns them into 400 `invalid_input` with the same message; anything else passes through.
 */
export async function asAdminInput<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof BrandingError || error instanceof InvalidApplication) throw new InvalidInput(error.message, { cause: error });
    throw error;
  }
}
