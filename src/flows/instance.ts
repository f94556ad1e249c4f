import { randomUUID } from 'node:crypto';

/** This process's name when it holds a lease (housekeeping, first signing key). */
export const INSTANCE_ID = randomUUID();
