import http from 'node:http';
import https from 'node:https';
import { isIPv6, type LookupFunction } from 'node:net';
import type { WebhookTarget } from '@mnemo/queue';

/**
 * A lookup that answers only the addresses checked before: the connection
 * goes where the check looked, whatever DNS says a moment later. TLS still
 * verifies the certificate against the URL's host name.
 */
function pinnedLookup(addresses: string[]): LookupFunction {
  const entries = addresses.map((address) => ({ address, family: isIPv6(address) ? 6 : 4 }));
  return (_hostname, options, callback) => {
    if (options.all) return callback(null, entries);
    const first = entries.find((e) => !options.family || e.family === options.family) ?? entries[0]!;
    callback(null, first.address, first.family);
  };
}

/** POSTs `body` to the target over a connection to one of its checked addresses; resolves with the status. No redirect is followed. */
export function postToTarget(target: WebhookTarget, headers: Record<string, string>, body: string, timeoutMs: number): Promise<number> {
  const client = target.url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      target.url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: pinnedLookup(target.addresses),
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => {
        // The receiver's answer is not read, only its status.
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
