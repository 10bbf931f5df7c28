import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Keys are 192 random bits, so a fast hash is enough: there is nothing to brute-force. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function generateKey(): string {
  return `mnemo_${randomBytes(24).toString('base64url')}`;
}

/** A short public handle for a key (its hash prefix), safe to print and to revoke by. */
export function keyIdOf(hash: string): string {
  return hash.slice(0, 12);
}

export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}
