import * as v from 'valibot';
import type { Page, PageRequest } from '../../flows/paging.js';
import { InvalidInput } from '../../protocol/errors.js';

/**
 * Cursor paging of every admin list (SPEC §10): `limit` 1–200 (default 50) and the opaque `cursor`
 * of the previous page's `nextCursor`. Spread into a route's query schema:
 * `v.object({ ...PAGE_QUERY, type: v.optional(…) })`.
 */
export const PAGE_QUERY = {
  limit: v.optional(
    v.pipe(v.string(), v.regex(/^\d{1,3}$/, 'limit must be a whole number from 1 to 200'), v.transform(Number), v.minValue(1), v.maxValue(200)),
    '50',
  ),
  cursor: v.optional(v.pipe(v.string(), v.maxLength(200), v.description('nextCursor of the previous page'))),
};

/** The body of one page: `{ data: [...], nextCursor: string | null }`. */
export function pageBodySchema<T extends v.GenericSchema>(item: T) {
  return v.object({ data: v.array(item), nextCursor: v.nullable(v.string()) });
}

// The cursor is the last id of the page, base64url: opaque to clients, so its form may change.
const encodeCursor = (id: string) => Buffer.from(id, 'utf8').toString('base64url');

/** The page a parsed query asks for; a cursor this API did not make → 400 `invalid_input`. */
export function pageRequest(query: { limit: number; cursor?: string | undefined }): PageRequest {
  if (query.cursor === undefined) return { after: null, limit: query.limit };
  const after = /^[A-Za-z0-9_-]+$/.test(query.cursor) ? Buffer.from(query.cursor, 'base64url').toString('utf8') : '';
  if (!/^[a-z]{2,4}_[0-9A-Za-z]{1,64}$/.test(after)) throw new InvalidInput('cursor is not a nextCursor of this API');
  return { after, limit: query.limit };
}

/** A page as its body: each item through `render`, and the cursor of the next page. */
export function pageBody<T, R>(page: Page<T>, render: (item: T) => R): { data: R[]; nextCursor: string | null } {
  return { data: page.items.map(render), nextCursor: page.nextAfter === null ? null : encodeCursor(page.nextAfter) };
}
