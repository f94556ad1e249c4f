import { lookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { DocumentFetchError, type DocumentFetcher, type FetchedDocument } from '../protocol/client-metadata-document.js';
import { isFetchableAddress } from '../protocol/public-address.js';

export interface DocumentFetchLimits {
  /** The test-only LATCHKEY_INSECURE_CLIENT_METADATA_FETCH: http and loopback addresses allowed. */
  allowInsecure: boolean;
  /** The whole fetch — name resolution, connection, TLS, headers, body — must end within this. */
  timeoutMs: number;
  /** The largest body read; anything longer is refused (CIMD suggests documents stay under 5 KB). */
  maxBytes: number;
}

/** 5 KiB and 5 seconds: CIMD's suggested size, and long enough for a slow but honest host. */
export const DEFAULT_DOCUMENT_FETCH_LIMITS: Omit<DocumentFetchLimits, 'allowInsecure'> = { timeoutMs: 5_000, maxBytes: 5_120 };

/**
 * The server-side fetch of a client-supplied URL, guarded against SSRF (CIMD Security
 * Considerations): the host name is resolved here and every address it has must be public (no
 * loopback, private, link-local, unique-local, multicast, unspecified or IPv4-embedding address);
 * the connection then goes to that checked address — a second DNS answer (rebinding) is never asked
 * for — while TLS still verifies the certificate for the host name. https only, redirects never
 * followed, the body capped, one deadline for everything, and only JSON accepted.
 */
export function createDocumentFetcher(limits: DocumentFetchLimits): DocumentFetcher {
  return async (target) => {
    const url = new URL(target);
    if (url.protocol !== 'https:' && !(limits.allowInsecure && url.protocol === 'http:')) throw new DocumentFetchError('only https URLs are fetched');
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), limits.timeoutMs);
    try {
      const address = await checkedAddress(url.hostname, limits.allowInsecure, controller.signal);
      return await get(url, address, limits.maxBytes, controller.signal);
    } catch (error) {
      if (controller.signal.aborted) throw new DocumentFetchError(`the document did not arrive within ${limits.timeoutMs} ms`);
      throw error instanceof DocumentFetchError ? error : new DocumentFetchError('the document could not be fetched', { cause: error });
    } finally {
      clearTimeout(timer);
    }
  };
}

/** The one address to connect to: the literal itself, or the host's first address when all of them are fetchable. */
async function checkedAddress(hostname: string, allowLoopback: boolean, signal: AbortSignal): Promise<{ address: string; family: 4 | 6 }> {
  const literal = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  const candidates = isIP(literal) ? [{ address: literal, family: isIP(literal) }] : await resolveAll(literal, signal);
  if (candidates.length === 0) throw new DocumentFetchError('the host name has no address');
  // Every address, not just the first: a name with one public and one private address is refused.
  for (const { address } of candidates) {
    if (!isFetchableAddress(address, allowLoopback)) throw new DocumentFetchError('the host resolves to an address that is not public');
  }
  const first = candidates[0]!;
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}

/**
 * Name lookups in flight. `dns.lookup` runs getaddrinfo on libuv's thread pool (4 threads), which
 * password hashing shares; a name server that never answers holds a thread until the system resolver
 * gives up, whatever our own time limit says. So at most this many lookups hold threads at once, and
 * one is counted until it really ends, not when we stop waiting (review of issue 19).
 */
const MAX_LOOKUPS_IN_FLIGHT = 2;
let lookupsInFlight = 0;

async function resolveAll(hostname: string, signal: AbortSignal): Promise<Array<{ address: string; family: number }>> {
  if (lookupsInFlight >= MAX_LOOKUPS_IN_FLIGHT) throw new DocumentFetchError('too many client_id host names are being resolved at once; try again shortly');
  const aborted = new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
  lookupsInFlight += 1;
  const resolving = lookup(hostname, { all: true, verbatim: true });
  void resolving.then(() => undefined, () => undefined).finally(() => (lookupsInFlight -= 1));
  try {
    return await Promise.race([resolving, aborted]);
  } catch (error) {
    if (signal.aborted) throw error;
    throw new DocumentFetchError('the host name does not resolve', { cause: error });
  }
}

function get(url: URL, pinned: { address: string; family: 4 | 6 }, maxBytes: number, signal: AbortSignal): Promise<FetchedDocument> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method: 'GET',
      headers: { accept: 'application/json', 'user-agent': 'latchkey (client-id-metadata-document)' },
      signal,
      agent: false,
      // Connect to the address checked above, whatever the resolver would answer now (DNS rebinding).
      lookup: (_hostname, options, callback) => {
        if ((options as { all?: boolean }).all) (callback as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [pinned]);
        else callback(null, pinned.address, pinned.family);
      },
    });
    request.on('error', reject);
    request.on('response', (response) => readResponse(response, maxBytes).then(resolve, (error) => {
      response.destroy();
      reject(error);
    }));
    request.end();
  });
}

async function readResponse(response: IncomingMessage, maxBytes: number): Promise<FetchedDocument> {
  const status = response.statusCode ?? 0;
  if (status >= 300 && status < 400) throw new DocumentFetchError(`the document URL answered a redirect (${status}), which is not followed`);
  if (status !== 200) throw new DocumentFetchError(`the document URL answered ${status}`);
  // CIMD §4: application/json, or a more specific application/…+json type.
  const type = (response.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) throw new DocumentFetchError('the document is not application/json');
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw new DocumentFetchError(`the document is larger than ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new DocumentFetchError(`the document is larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new DocumentFetchError('the document is not valid JSON');
  }
  const cacheControl = response.headers['cache-control'];
  return { body, cacheControl: Array.isArray(cacheControl) ? cacheControl.join(', ') : cacheControl ?? null };
}
