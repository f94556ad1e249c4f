/**
 * The domain values flows hand to http/: http/ names them from here, never from storage/, so the
 * only way from a request to the Store is through a flow (STYLE §5, test/architecture.test.ts).
 */
export type { Application, Consumer, Session } from '../storage/store.js';
