import { errorFromResponse } from './errors.js';

/** The `fetch` the library calls: the platform's, or one the caller injects (tests, proxies, retries). */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** `baseUrl` without its trailing slashes, so paths can be appended. */
export function trimBaseUrl(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '');
}

/**
 * One API call: a JSON (or form) body out, the JSON body back; any non-2xx answer becomes the typed
 * error of its wire code (SPEC §3). A 204 resolves to `undefined`.
 */
export async function callApi<T>(
  fetchFn: FetchLike,
  url: string,
  init: { method?: string; headers?: Record<string, string>; json?: unknown; form?: Record<string, string>; signal?: AbortSignal | undefined },
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
  let body: string | undefined;
  if (init.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.json);
  } else if (init.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  }
  return readResponse<T>(await fetchFn(url, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, signal: init.signal, ...(body === undefined ? {} : { body }) }));
}

/** The JSON body of a 2xx answer; the typed error of its wire code otherwise (SPEC §3). */
export async function readResponse<T>(response: Response): Promise<T> {
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = text;
  }
  if (!response.ok) throw errorFromResponse(response.status, parsed, response.headers.get('x-request-id') ?? undefined);
  return parsed as T;
}
