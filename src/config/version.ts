import { readFileSync } from 'node:fs';

/**
 * Latchkey's version, from package.json, read once when the process starts (src/config and
 * dist/config are both two folders below it). Shown on the landing page and in the OpenAPI document.
 */
export const LATCHKEY_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
