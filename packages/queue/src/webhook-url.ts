import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { MnemoError } from '@mnemo/core';

export interface WebhookUrlPolicy {
  /** Host names allowed; empty: any public host. */
  allowedHosts: string[];
  /** Loopback and private addresses too (development and tests only). */
  allowPrivate: boolean;
}

/** A host name's addresses; the system resolver unless a test gives another. */
export type ResolveHost = (host: string) => Promise<string[]>;

const systemResolve: ResolveHost = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

/** Where a delivery goes: the URL, and the addresses that were checked, which are the only ones it may connect to. */
export interface WebhookTarget {
  url: URL;
  /** Checked addresses of the URL's host (the literal itself for an IP). */
  addresses: string[];
}

/**
 * The host's name could not be looked up. At delivery time that is a
 * network error like any other (retried); at registration a 400.
 */
export class WebhookHostUnresolved extends MnemoError {
  constructor(
    host: string,
    /** The resolver's error code (ENOTFOUND, EAI_AGAIN…), or "no addresses". */
    readonly reason: string,
  ) {
    super('VALIDATION_ERROR', `url host ${host} does not resolve (${reason})`, [{ field: 'url', message: 'host does not resolve' }]);
  }
}

/** IPv6 addresses outside global unicast (2000::/3) never carry a webhook: that covers ::/96 (IPv4-compatible), 100::/64, and more. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

/** Why an address may not be called, or null when it is public unicast. */
function refusedRange(address: string): string | null {
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  const range = parsed.range();
  if (range !== 'unicast') return range;
  if (parsed.kind() === 'ipv6' && !(parsed as ipaddr.IPv6).match(GLOBAL_UNICAST_V6 as [ipaddr.IPv6, number])) return 'non-global IPv6';
  return null;
}

/**
 * A webhook URL mnemo will call: http or https, a host on the allow-list
 * when there is one, and, unless private addresses are allowed, one that
 * resolves only to public unicast addresses (no loopback, private,
 * link-local, metadata ranges or IPv6 forms that embed an IPv4 address:
 * mnemo must not be a way into its own network). Checked when the webhook is
 * registered and again before every delivery, and the delivery connects to
 * exactly the addresses checked here (no second lookup a rebinding DNS
 * server could answer differently); deliveries never follow redirects.
 */
export async function checkWebhookUrl(raw: string, policy: WebhookUrlPolicy, resolve: ResolveHost = systemResolve): Promise<WebhookTarget> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (err) {
    throw new MnemoError('VALIDATION_ERROR', 'url is not a URL', [{ field: 'url', message: 'is not a URL' }], { cause: err });
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
  let addresses: string[];
  if (ipaddr.isValid(host)) {
    addresses = [host];
  } else {
    try {
      addresses = await resolve(host);
    } catch (err) {
      throw new WebhookHostUnresolved(host, (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err)));
    }
    if (addresses.length === 0) throw new WebhookHostUnresolved(host, 'no addresses');
  }
  if (policy.allowPrivate) return { url, addresses };
  for (const address of addresses) {
    const range = refusedRange(address);
    if (range) {
      throw new MnemoError('VALIDATION_ERROR', `url host ${host} resolves to a ${range} address`, [{ field: 'url', message: 'must resolve to a public address' }]);
    }
  }
  return { url, addresses };
}
