import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { MnemoError } from '@mnemo/core';

export interface WebhookUrlPolicy {
  /** Host names allowed; empty: any public host. */
  allowedHosts: string[];
  /** Loopback and private addresses too (development and tests only). */
  allowPrivate: boolean;
}

/**
 * A webhook URL mnemo will call: http or https, a host on the allow-list
 * when there is one, and, unless private addresses are allowed, one that
 * resolves only to public unicast addresses (no loopback, private,
 * link-local or metadata ranges: mnemo must not be a way into its own
 * network). Checked when the webhook is registered and again before every
 * delivery, since DNS can change; deliveries never follow redirects.
 */
export async function checkWebhookUrl(raw: string, policy: WebhookUrlPolicy): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new MnemoError('VALIDATION_ERROR', 'url is not a URL', [{ field: 'url', message: 'is not a URL' }]);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MnemoError('VALIDATION_ERROR', 'url must be http or https', [{ field: 'url', message: 'must be http or https' }]);
  }
  if (url.username || url.password) {
    throw new MnemoError('VALIDATION_ERROR', 'url must not carry credentials', [{ field: 'url', message: 'must not carry credentials' }]);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (policy.allowedHosts.length > 0 && !policy.allowedHosts.includes(host)) {
    throw new MnemoError('VALIDATION_ERROR', `url host ${host} is not on MNEMO_WEBHOOK_ALLOWED_HOSTS`, [{ field: 'url', message: 'host is not allowed' }]);
  }
  if (policy.allowPrivate) return url;
  const addresses = ipaddr.isValid(host) ? [host] : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  if (addresses.length === 0) {
    throw new MnemoError('VALIDATION_ERROR', `url host ${host} does not resolve`, [{ field: 'url', message: 'host does not resolve' }]);
  }
  for (const address of addresses) {
    let parsed = ipaddr.parse(address);
    if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
    if (parsed.range() !== 'unicast') {
      throw new MnemoError('VALIDATION_ERROR', `url host ${host} resolves to a ${parsed.range()} address`, [
        { field: 'url', message: 'must resolve to a public address' },
      ]);
    }
  }
  return url;
}
