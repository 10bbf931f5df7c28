import type { RequestHandler } from 'express';
import { MnemoError } from '@mnemo/core';
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
 * The user a request acts for. Only a service key may name another user in
 * `user_id`; user and admin keys act for their own user. Admin is an
 * operator role (the dashboard), not a way into users' memories: an operator
 * who needs both holds two keys.
 */
export function actingUser(principal: Principal, requested: string | undefined): string {
  if (requested === undefined || requested === principal.userId) return principal.userId;
  if (principal.role !== 'service') {
    throw new MnemoError('FORBIDDEN', `This ${principal.role} key may only act for its own user; user_id needs a service key`);
  }
  return requested;
}

export function principalOf(locals: { principal?: Principal }): Principal {
  if (!locals.principal) throw new MnemoError('AUTHENTICATION_ERROR', 'Not authenticated');
  return locals.principal;
}
