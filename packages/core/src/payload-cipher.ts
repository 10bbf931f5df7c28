import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for personal data at rest in Redis (conversation text in job
 * payloads, checkpoints, pending batch entries, webhook delivery bodies). A sealed value names the
 * key that sealed it, so keys can be rotated: seal with the new key, keep
 * the old ones for opening until nothing sealed with them is left.
 */

const PREFIX = 'mnemo-aes256gcm:v1';

export interface Sealed {
  sealed: string;
}

export function isSealed(value: unknown): value is Sealed {
  return !!value && typeof value === 'object' && typeof (value as Sealed).sealed === 'string' && (value as Sealed).sealed.startsWith(`${PREFIX}:`);
}

/** A key from its configured form: 64 hex digits or base64 of 32 bytes. */
export function parsePayloadKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new Error('a payload key is 32 bytes: 64 hex digits or base64 (openssl rand -base64 32)');
  return key;
}

const keyIdOf = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 8);

export class PayloadCipher {
  private readonly current: { id: string; key: Buffer };
  private readonly keys: Map<string, Buffer>;

  /** `key` seals; `oldKeys` only open. */
  constructor(key: Buffer, oldKeys: Buffer[] = []) {
    this.current = { id: keyIdOf(key), key };
    this.keys = new Map([key, ...oldKeys].map((k) => [keyIdOf(k), k]));
  }

  seal(value: unknown): Sealed {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    const parts = [PREFIX, this.current.id, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')];
    return { sealed: parts.join(':') };
  }

  /** The value inside; throws if no configured key sealed it or it was altered. */
  open<T = unknown>(sealed: Sealed): T {
    const [, , keyId, iv, tag, body] = sealed.sealed.split(':');
    const key = this.keys.get(keyId ?? '');
    if (!key) throw new Error(`payload sealed with key ${keyId}, which is not configured (MNEMO_PAYLOAD_KEY / MNEMO_PAYLOAD_OLD_KEYS)`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv!, 'base64'));
    decipher.setAuthTag(Buffer.from(tag!, 'base64'));
    const text = Buffer.concat([decipher.update(Buffer.from(body!, 'base64')), decipher.final()]).toString('utf8');
    return JSON.parse(text) as T;
  }

  /** Seals a value unless it already is. */
  sealValue(value: unknown): unknown {
    return value === undefined || isSealed(value) ? value : this.seal(value);
  }

  /** Opens a value if it is sealed; plain values (written before encryption was on) pass through. */
  openValue<T = unknown>(value: unknown): T {
    return (isSealed(value) ? this.open(value) : value) as T;
  }
}

/** The configured cipher, or null when payload encryption is off. */
export function payloadCipherFrom(config: { MNEMO_PAYLOAD_KEY?: string; MNEMO_PAYLOAD_OLD_KEYS: string[] }): PayloadCipher | null {
  if (!config.MNEMO_PAYLOAD_KEY) return null;
  return new PayloadCipher(parsePayloadKey(config.MNEMO_PAYLOAD_KEY), config.MNEMO_PAYLOAD_OLD_KEYS.map(parsePayloadKey));
}

/** The fields of an ingest job that hold conversation text: sealed at rest when a key is set. */
const SENSITIVE_FIELDS = ['conversation', 'checkpoint'] as const;

/** Seals the named fields of a job's data (every queue that carries user text lists its own). */
export function sealFields<T extends Record<string, unknown>>(cipher: PayloadCipher | null, data: T, fields: readonly string[]): T {
  if (!cipher) return data;
  const sealed: Record<string, unknown> = { ...data };
  for (const field of fields) if (field in sealed) sealed[field] = cipher.sealValue(sealed[field]);
  return sealed as T;
}

/** Opens the named fields; plain ones (written before a key was set) pass through. */
export function openFields<T extends Record<string, unknown>>(cipher: PayloadCipher | null, data: T, fields: readonly string[]): T {
  const opened: Record<string, unknown> = { ...data };
  for (const field of fields) {
    if (!isSealed(opened[field])) continue;
    if (!cipher) throw new Error(`job ${field} is encrypted but MNEMO_PAYLOAD_KEY is not set`);
    opened[field] = cipher.open(opened[field] as Sealed);
  }
  return opened as T;
}

export function sealJobData<T extends Record<string, unknown>>(cipher: PayloadCipher | null, data: T): T {
  return sealFields(cipher, data, SENSITIVE_FIELDS);
}

export function openJobData<T extends Record<string, unknown>>(cipher: PayloadCipher | null, data: T): T {
  return openFields(cipher, data, SENSITIVE_FIELDS);
}
