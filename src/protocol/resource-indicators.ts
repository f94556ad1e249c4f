import { InvalidTarget } from './oauth-errors.js';

// RFC 8707 resource indicators (SPEC §13), as pure rules.

/** RFC 8707 §2: "an absolute URI … MUST NOT include a fragment component". Why `value` is not one, or undefined. */
export function resourceProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not an absolute URI';
  }
  if (value.includes('#') || url.hash !== '') return 'must not have a fragment';
  // The indicator is compared by exact string: only the URI as the parser writes it may be registered
  // or asked for, so two spellings of one resource cannot both pass for it.
  if (url.href !== value && `${url.href}`.replace(/\/$/, '') !== value) return 'is not in normal form';
  return undefined;
}

/**
 * RFC 8707 §2: the resources of an authorization request or a client_credentials request — each an
 * absolute URI without fragment, each listed for the application (exact match); repeats count once.
 * `invalid_target` otherwise.
 */
export function checkRequestedResources(requested: readonly string[], allowed: readonly string[]): string[] {
  const distinct = [...new Set(requested)];
  for (const resource of distinct) {
    const problem = resourceProblem(resource);
    if (problem) throw new InvalidTarget(`resource ${resource} ${problem}`);
    if (!allowed.includes(resource)) throw new InvalidTarget(`resource ${resource} is not allowed for this client`);
  }
  return distinct;
}

/**
 * RFC 8707 §2.2: the audience of one access token. `granted` are the resources of the grant (empty:
 * none was asked for, and the token is for this server as before); `requested` the token request's
 * `resource` values. One resource per token: the request names one of the granted resources, or
 * leaves it out when exactly one was granted — or, `whenUnnamed: 'first'` (a refresh), takes the
 * first, which is the one its family's first token was for (see orderedForFamily). A refresh may so
 * narrow the audience, never widen it. Returns the resource, or undefined for this server's own.
 */
export function audienceOf(granted: readonly string[], requested: readonly string[], whenUnnamed: 'refuse' | 'first' = 'refuse'): string | undefined {
  if (requested.length > 1) throw new InvalidTarget('one resource per access token: send resource once');
  const [asked] = requested;
  if (asked !== undefined) {
    const problem = resourceProblem(asked);
    if (problem) throw new InvalidTarget(`resource ${asked} ${problem}`);
    if (!granted.includes(asked)) throw new InvalidTarget(`resource ${asked} was not granted`);
    return asked;
  }
  if (granted.length > 1 && whenUnnamed === 'refuse') throw new InvalidTarget('several resources were granted: name one with the resource parameter');
  return granted[0];
}

/**
 * The resources a token family keeps: every one granted, the audience of its first token first, so
 * that a refresh naming none keeps that audience (audienceOf with `whenUnnamed: 'first'`).
 */
export function orderedForFamily(granted: readonly string[], audience: string | undefined): string[] {
  return audience === undefined ? [...granted] : [audience, ...granted.filter((resource) => resource !== audience)];
}
