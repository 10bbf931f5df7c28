import type { RequestHandler } from 'express';
import { MnemoError, userIdSchema } from '@mnemo/core';
import type { ApiKeyRepository, Principal } from '@mnemo/auth';

declare module 'express-serve-static-core' {
  interface Locals {
    principal?: Principal;
  }
}

/** X-API-Key or Authorization: Bearer; unknown and revoked keys are refused alike. */
export function authenticate(keys: ApiKeyRepository): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('x-api-key') ?? /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '')?.[1];
    const key = header?.trim();
    if (!key) {
      return next(new MnemoError('AUTHENTICATION_ERROR', 'Missing API key: send X-API-Key or Authorization: Bearer'));
    }
    if (key.length > 512) return next(new MnemoError('AUTHENTICATION_ERROR', 'Invalid API key'));
    const principal = await keys.verify(key);
    if (!principal) return next(new MnemoError('AUTHENTICATION_ERROR', 'Invalid or revoked API key'));
    res.locals.principal = principal;
    next();
  };
}

/**
 * The user a request acts for. A user key always acts for its own user; a
 * service or admin key may name another in `user_id`. The requested value
 * is checked here, by the one acting-user validator, whatever route and
 * wherever (body or query string) it came from.
 */
export function actingUser(principal: Principal, raw: unknown): string {
  const requested = raw === undefined ? undefined : parseUserId(raw);
  if (requested === undefined || requested === principal.userId) return principal.userId;
  if (principal.role === 'user') {
    throw new MnemoError('FORBIDDEN', 'This API key may only act for its own user; user_id needs a service key');
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
