import type { RequestHandler } from 'express';
import type { z } from 'zod';
import { MnemoError } from '@mnemo/core';

/** messages[2].role, the way a client names the field. */
export function fieldPath(path: PropertyKey[]): string {
  return path.reduce<string>((acc, part) => {
    if (typeof part === 'number') return `${acc}[${part}]`;
    return acc ? `${acc}.${String(part)}` : String(part);
  }, '');
}

export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, what = 'Request body'): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.map((issue) => ({ field: fieldPath(issue.path) || '(body)', message: issue.message }));
  const first = details[0]!;
  throw new MnemoError('VALIDATION_ERROR', `${what} is invalid: ${first.field}: ${first.message}`, details);
}

/** POST bodies must be JSON; anything else gets a clear 415 rather than an empty body. */
export const requireJson: RequestHandler = (req, _res, next) => {
  if (!req.is('application/json')) {
    return next(
      new MnemoError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json', {
        content_type: req.get('content-type') ?? null,
      }),
    );
  }
  next();
};
