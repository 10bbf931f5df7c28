/**
 * Lone UTF-16 surrogates (half of a pair, as a broken client or a sliced
 * string leaves them) are not Unicode text: encodeURIComponent, UUIDv5 and
 * some stores throw on them. They are replaced with U+FFFD at the edge, so
 * no stage ever sees one.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function wellFormedText(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}

/**
 * A parsed JSON value with every string, object key included, made well
 * formed, in place. Keys are defined, not assigned: an assigned "__proto__"
 * would change the object's prototype instead of staying a key that the
 * schemas refuse.
 */
export function wellFormed<T>(value: T): T {
  if (typeof value === 'string') return wellFormedText(value) as T;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = wellFormed(value[i]);
    return value;
  }
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const fixedKey = wellFormedText(key);
    const fixed = wellFormed(record[key]);
    if (fixedKey !== key) delete record[key];
    Object.defineProperty(record, fixedKey, { value: fixed, enumerable: true, writable: true, configurable: true });
  }
  return value;
}
