import type { RequestHandler } from 'express';
import type { Logger } from '@mnemo/core';

/** One line per request at the http level: method, path, status, duration. */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      logger.http('request', {
        method: req.method,
        path: req.path,
        status: res.statusCode,
        ms: Math.round(performance.now() - started),
        user_id: res.locals.principal?.userId,
      });
    });
    next();
  };
}
