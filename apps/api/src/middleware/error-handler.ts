import type { ErrorRequestHandler, RequestHandler } from 'express';
import { MnemoError, type ErrorBody, type Logger } from '@mnemo/core';
import { isRedisUnavailable } from '@mnemo/queue';

/** The API's one error envelope. */
export function errorEnvelope(error: ErrorBody) {
  return { status: 'error' as const, error, timestamp: new Date().toISOString() };
}

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  limit?: number;
}

/** Maps every failure to a code from the API's list; the only place that does. */
function toMnemoError(err: unknown): MnemoError {
  if (err instanceof MnemoError) return err;
  const parserError = err as BodyParserError;
  switch (parserError?.type) {
    case 'entity.parse.failed':
      return new MnemoError('VALIDATION_ERROR', 'Request body is not valid JSON', { parse_error: parserError.message });
    case 'entity.too.large':
      return new MnemoError('PAYLOAD_TOO_LARGE', `Request body exceeds the limit of ${parserError.limit} bytes`, {
        limit_bytes: parserError.limit,
      });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new MnemoError('UNSUPPORTED_MEDIA_TYPE', parserError.message);
    case 'request.aborted':
      return new MnemoError('VALIDATION_ERROR', 'Request was aborted by the client');
  }
  if (isRedisUnavailable(err)) {
    return new MnemoError('SERVICE_UNAVAILABLE', 'The queue is unavailable right now; retry shortly', undefined, {
      cause: err,
    });
  }
  return new MnemoError('PROCESSING_ERROR', 'Internal error', undefined, { cause: err });
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const error = toMnemoError(err);
    const context = { method: req.method, path: req.path, code: error.code, user_id: res.locals.principal?.userId };
    if (error.status >= 500) logger.error(error.message, { ...context, cause: String(error.cause ?? '') });
    else logger.debug(error.message, context);
    if (error.code === 'SERVICE_UNAVAILABLE' && !res.getHeader('Retry-After')) res.setHeader('Retry-After', '5');
    if (res.headersSent) return;
    res.status(error.status).json(errorEnvelope(error.toBody()));
  };
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new MnemoError('NOT_FOUND', `No route for ${req.method} ${req.path}`));
};
