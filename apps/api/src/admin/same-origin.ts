import type { Request, RequestHandler } from 'express';
import { MnemoError } from '@mnemo/core';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The hosts this request may legitimately come from: the one it was sent to (directly or through the proxy). */
function ownHosts(req: Request): string[] {
  const forwarded = req.get('x-forwarded-host')?.split(',')[0]?.trim();
  return [req.get('host'), forwarded].filter((h): h is string => !!h).map((h) => h.toLowerCase());
}

/**
 * CSRF defence for every dashboard write (job control, Bull Board actions,
 * login, logout), whatever authenticates it: a browser names where a
 * request comes from in Sec-Fetch-Site (Fetch Metadata) and Origin, and a
 * page on another site cannot forge either. A write that says it is
 * cross-site, or whose Origin is another host (or "null"), is refused.
 * Scripts (curl, the CLI) send neither header and pass; the SameSite=Strict
 * cookie stays as a second line.
 */
export const sameOriginWrites: RequestHandler = (req, _res, next) => {
  if (SAFE_METHODS.has(req.method)) return next();
  const site = req.get('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') {
    return next(new MnemoError('FORBIDDEN', `Cross-site dashboard request refused (Sec-Fetch-Site: ${site})`));
  }
  const origin = req.get('origin');
  if (origin !== undefined) {
    // "null" (a sandboxed or privacy-stripped page) and anything that is not a URL are not this host either.
    const host = origin !== 'null' && URL.canParse(origin) ? new URL(origin).host.toLowerCase() : null;
    if (!host || !ownHosts(req).includes(host)) {
      return next(new MnemoError('FORBIDDEN', 'Cross-site dashboard request refused (Origin is not this host)'));
    }
  }
  next();
};
