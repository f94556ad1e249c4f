import { isOriginAllowed } from '../protocol/origins.js';
import type { Application } from '../storage/store.js';
import { findApplicationByPublishableKey } from './applications.js';
import type { FlowDeps } from './deps.js';

/** What a request turned out to be about, as far as its middleware learnt (SPEC §2 CORS). */
export interface CorsSubject {
  /** From the request's key. */
  application?: Application;
  /** From its consumer token. */
  applicationId?: string;
  /** The client of its OAuth or login bearer token. */
  clientId?: string;
  /** True when the request was refused (status ≥ 400). */
  isRefused: boolean;
}

/**
 * SPEC §2: whether the page at `origin` may read the response — when the application the request was
 * for allows the origin; when no application was known (missing or unknown key, bad token), a
 * refusal is readable under the preflight's rule, so the page can see why (those bodies hold no data).
 */
export async function isResponseReadableBy(deps: FlowDeps, origin: string, subject: CorsSubject): Promise<boolean> {
  const application =
    subject.application ??
    (subject.applicationId ? await deps.store.getApplication(subject.applicationId) : undefined) ??
    (subject.clientId ? await findApplicationByPublishableKey(deps, subject.clientId) : undefined);
  if (application) return isOriginAllowed(application, origin);
  return subject.isRefused && deps.store.isOriginAllowedByAnyApplication(origin);
}

/** A preflight carries no credentials: approved when some application allows the origin (SPEC §2). */
export function isPreflightAllowed(deps: FlowDeps, origin: string): Promise<boolean> {
  return deps.store.isOriginAllowedByAnyApplication(origin);
}
