import type { Request, RequestHandler } from 'express';
import { MnemoError, userIdSchema } from '@mnemo/core';
import type { ApiKeyRepository, Principal } from '@mnemo/auth';
import type { AuthFailureThrottle } from './auth-throttle';

declare module 'express-serve-static-core' {
  interface Locals {
    principal?: Principal;
  }
}

/**
 * X-API-Key or Authorization: Bearer; unknown and revoked keys are refused
 * alike, and every refusal counts against the client's address and the
 * key's prefix (AuthFailureThrottle).
 */
/** The API key a request presents: X-API-Key, or Authorization: Bearer. */
export function presentedKey(req: Request): string | undefined {
  return (req.get('x-api-key') ?? /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '')?.[1])?.trim();
}

export function authenticate(keys: ApiKeyRepository, throttle: AuthFailureThrottle): RequestHandler {
  return async (req, res, next) => {
    const key = presentedKey(req);
    await throttle.assertAllowed(res, req.ip, key);
    const refuse = async (message: string) => {
      await throttle.failed(req.ip, key);
      next(new MnemoError('AUTHENTICATION_ERROR', message));
    };
    if (!key) return refuse('Missing API key: send X-API-Key or Authorization: Bearer');
    if (key.length > 512) return refuse('Invalid API key');
    const principal = await keys.verify(key);
    // The usual cause of an unknown key: it was made under another MNEMO_QUEUE_PREFIX than this server's.
    if (!principal) return refuse(`Invalid or revoked API key (this server looks keys up under MNEMO_QUEUE_PREFIX "${keys.prefix}")`);
    res.locals.principal = principal;
    next();
  };
}

/**
 * The user a request acts for. Only a service key may name another user in
 * `user_id`; user and admin keys act for their own user. Admin is an
 * operator role (the dashboard), not a way into users' memories: an operator
 * who needs both holds two keys. The requested value is checked here, by
 * the one acting-user validator, whatever route and wherever (body or query
 * string) it came from.
 */
export function actingUser(principal: Principal, raw: unknown): string {
  const requested = raw === undefined ? undefined : parseUserId(raw);
  if (requested === undefined || requested === principal.userId) return principal.userId;
  if (principal.role !== 'service') {
    throw new MnemoError('FORBIDDEN', `This ${principal.role} key may only act for its own user; user_id needs a service key`);
  }
  return requested;
}

function parseUserId(raw: unknown): string {
  const parsed = userIdSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const message = parsed.error.issues[0]?.message ?? 'is invalid';
  throw new MnemoError('VALIDATION_ERROR', `user_id is invalid: ${message}`, [{ field: 'user_id', message }]);
}

export function principalOf(locals: { principal?: Principal }): Principal {
  if (!locals.principal) throw new MnemoError('AUTHENTICATION_ERROR', 'Not authenticated');
  return locals.principal;
}
