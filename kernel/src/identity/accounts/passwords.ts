import { hash, verify } from "@node-rs/argon2";
import { kernelError } from "../../errors.js";

/** argon2id (algorithm 2: the package's const enum cannot be imported here) with OWASP's minimum settings (19 MiB, 2 passes). */
const OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 256;

export function checkPasswordPolicy(password: string): void {
  if (password.length < PASSWORD_MIN) throw kernelError("KERNEL_WEAK_PASSWORD", `a password needs at least ${PASSWORD_MIN} characters`);
  if (password.length > PASSWORD_MAX) throw kernelError("KERNEL_WEAK_PASSWORD", `a password may have at most ${PASSWORD_MAX} characters`);
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

let dummy: Promise<string> | null = null;

/**
 * Checks a password against its hash. Without a hash (no such account) it still spends the time
 * of one verification, so timing does not tell which emails have accounts.
 */
export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  if (!passwordHash) {
    dummy ??= hashPassword("crealia-timing-equaliser");
    await verify(await dummy, password).catch(() => false);
    return false;
  }
  return verify(passwordHash, password).catch(() => false);
}
