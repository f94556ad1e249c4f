import { isUniqueViolation } from '../database.js';
import { UniqueConflict } from '../store.js';

/** `.catch` handler: turns either engine's unique violation into the domain's UniqueConflict. */
export function rethrowConflict(error: unknown): never {
  if (isUniqueViolation(error)) throw new UniqueConflict(error);
  throw error;
}
