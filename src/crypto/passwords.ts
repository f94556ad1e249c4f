import { hash, verify, Algorithm } from '@node-rs/argon2';

/** argon2id cost (OWASP Password Storage Cheat Sheet minimum: m=19 MiB, t=2, p=1). */
export interface PasswordHashing {
  memoryCostKib: number;
  timeCost: number;
  parallelism: number;
}

/** Hashes a password with argon2id; the PHC string carries its own salt and parameters. */
export function hashPassword(password: string, params: PasswordHashing): Promise<string> {
  return hash(password, { algorithm: Algorithm.Argon2id, memoryCost: params.memoryCostKib, timeCost: params.timeCost, parallelism: params.parallelism });
}

/** Checks a password against a PHC string; false on mismatch or on a malformed hash. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}
