import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * The JSON logger. Request bodies and headers are never logged; the redaction list is a second line
 * of defence should a credential-bearing object ever reach a log call (SPEC §3).
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'latchkey' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization',
          'headers["x-secret-key"]', '*.headers["x-secret-key"]', 'secretKey', '*.secretKey',
          'password', '*.password', 'refreshToken', '*.refreshToken', 'exchangeCode', '*.exchangeCode',
          'codeVerifier', '*.codeVerifier', 'accessToken', '*.accessToken',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
