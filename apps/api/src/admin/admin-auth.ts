import express, { Router, type RequestHandler } from 'express';
import type { ApiKeyRepository } from '@mnemo/auth';
import { MnemoError } from '@mnemo/core';
import type { AuthFailureThrottle } from '../middleware/auth-throttle';
import type { AdminSessions } from './admin-sessions';
import { loginPage } from './pages';

export const SESSION_COOKIE = 'mnemo_admin';

/** Only paths inside the dashboard are followed after login (no open redirect). */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/admin(\/[\w\-./?=&%]*)?$/.test(next) && !next.startsWith('/admin/login') ? next : '/admin';
}

/** The admin key in Basic auth (any user name) or X-API-Key, if the request carries one. */
function keyFrom(req: express.Request): string | undefined {
  const basic = /^Basic\s+(.+)$/i.exec(req.get('authorization') ?? '')?.[1];
  if (basic) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1);
  }
  return req.get('x-api-key') ?? undefined;
}

/**
 * The dashboard's door: a login form that sets a session cookie for people,
 * HTTP Basic auth (the admin key as password) or X-API-Key for scripts.
 * Only keys with the admin role get in.
 */
export function adminAuth(keys: ApiKeyRepository, sessions: AdminSessions, sessionHours: number, throttle: AuthFailureThrottle) {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '4kb' });

  router.get('/admin/login', (req, res) => {
    res.type('html').send(loginPage({ next: safeNext(req.query.next), error: null }));
  });

  router.post('/admin/login', form, async (req, res) => {
    const key = typeof req.body?.key === 'string' ? req.body.key.trim() : '';
    const next = safeNext(req.body?.next);
    await throttle.assertAllowed(res, req.ip, key);
    const principal = key && key.length <= 512 ? await keys.verify(key) : null;
    if (!principal) await throttle.failed(req.ip, key);
    if (!principal || principal.role !== 'admin') {
      res.status(401).type('html').send(loginPage({ next, error: principal ? 'This key is not an admin key.' : 'Unknown or revoked key.' }));
      return;
    }
    const token = await sessions.start(principal.keyId);
    res.cookie(SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: '/admin',
      maxAge: sessionHours * 3600 * 1000,
    });
    res.redirect(303, next);
  });

  router.post('/admin/logout', async (req, res) => {
    const token = req.cookies?.[SESSION_COOKIE];
    if (typeof token === 'string') await sessions.end(token);
    res.clearCookie(SESSION_COOKIE, { path: '/admin' });
    res.redirect(303, '/admin/login');
  });

  const guard: RequestHandler = async (req, res, next) => {
    const token = req.cookies?.[SESSION_COOKIE];
    const sessionKeyId = typeof token === 'string' ? await sessions.keyIdOf(token) : null;
    if (sessionKeyId) {
      // A session dies with its key: revoked (or no longer admin) means logged out, on every process within VERIFY_CACHE_MS.
      if ((await keys.verifyId(sessionKeyId))?.role === 'admin') return next();
      await sessions.end(token);
      res.clearCookie(SESSION_COOKIE, { path: '/admin' });
    }
    const key = keyFrom(req);
    if (key) {
      await throttle.assertAllowed(res, req.ip, key);
      const principal = key.length <= 512 ? await keys.verify(key) : null;
      if (principal?.role === 'admin') return next();
      if (!principal) await throttle.failed(req.ip, key);
      return next(new MnemoError('FORBIDDEN', 'The dashboard needs an admin key'));
    }
    // People are sent to the form; scripts get the error envelope and a Basic challenge.
    if (req.method === 'GET' && /\btext\/html\b/.test(req.get('accept') ?? '')) {
      return res.redirect(303, `/admin/login?next=${encodeURIComponent(req.originalUrl)}`);
    }
    res.setHeader('WWW-Authenticate', 'Basic realm="mnemo admin", charset="UTF-8"');
    next(new MnemoError('AUTHENTICATION_ERROR', 'Log in at /admin/login, or send the admin key (Basic auth or X-API-Key)'));
  };

  return { router, guard };
}
