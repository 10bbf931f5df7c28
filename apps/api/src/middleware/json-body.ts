import express, { type RequestHandler } from 'express';
import { wellFormed } from '@mnemo/core';

/**
 * A JSON body parser whose output is well-formed Unicode: lone surrogates
 * (valid in JSON escapes, not in text) become U+FFFD before any route,
 * schema or stage sees the body.
 */
export function jsonBody(limit: number): RequestHandler {
  const parse = express.json({ limit, strict: true });
  return (req, res, next) =>
    parse(req, res, (err?: unknown) => {
      if (err) return next(err);
      if (req.body !== undefined) req.body = wellFormed(req.body);
      next();
    });
}
