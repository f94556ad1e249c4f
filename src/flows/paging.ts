import type { PageRequest } from '../storage/store.js';

export type { PageRequest } from '../storage/store.js';

/** One page of a list and where the next one starts (null: this was the last). */
export interface Page<T> {
  items: T[];
  nextAfter: string | null;
}

/**
 * Loads one page in id order: asks `load` for one row more than the page holds, so that "is there a
 * next page" needs no second query. The order (by time-ordered unique id) is stable while rows are
 * inserted: a page never repeats or skips a row that existed when the first page was read.
 */
export async function fetchPage<T>(page: PageRequest, load: (request: PageRequest) => Promise<T[]>, idOf: (item: T) => string): Promise<Page<T>> {
  const rows = await load({ after: page.after, limit: page.limit + 1 });
  const items = rows.slice(0, page.limit);
  return { items, nextAfter: rows.length > page.limit ? idOf(items[items.length - 1]!) : null };
}
