import pg from 'pg';

/**
 * Connects to PostgreSQL once, within `timeoutMs`, and disconnects: at start an address that never
 * answers fails in seconds instead of waiting for the operating system's TCP timeout (minutes), and
 * a missing database or a refused login surfaces before anything else opens (issue 11.12). The
 * server's pool itself keeps no connect timeout: under load a request may wait for a connection.
 */
export async function probePostgres(databaseUrl: string, timeoutMs: number): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    // pg reports its own timeout without a code; give it the one a TCP timeout has.
    if (!(error as { code?: string }).code && /timeout/i.test((error as Error).message)) {
      throw Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT', cause: error });
    }
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}
