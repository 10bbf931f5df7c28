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
  /** zlib's, when the body did not decompress: Z_DATA_ERROR, Z_BUF_ERROR, ERR__ERROR_FORMAT_PADDING_1 … */
  code?: string;
}

/**
 * The body parser passes a failed decompression on untyped, as a 400 with
 * zlib's error code: the client's Content-Encoding did not match its bytes
 * (gzip that is not gzip, a truncated stream, a bad deflate or br body).
 */
function isUndecodableBody(err: BodyParserError): boolean {
  return err.status === 400 && err.type === undefined && typeof err.code === 'string' && /^(Z_|ERR_)/.test(err.code);
}

/** Maps every failure to a code from the API's list; the only place that does. */
function toMnemoError(err: unknown, contentEncoding: string | undefined): MnemoError {
  if (err instanceof MnemoError) return err;
  const parserError = err as BodyParserError;
  if (parserError && isUndecodableBody(parserError)) {
    return new MnemoError('VALIDATION_ERROR', `Request body could not be decoded as Content-Encoding: ${contentEncoding ?? 'identity'}`, {
      content_encoding: contentEncoding?.slice(0, 100) ?? null,
      decode_error: parserError.message,
    });
  }
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
    case 'request.size.invalid':
      return new MnemoError('VALIDATION_ERROR', 'Request body does not match its Content-Length');
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
    const error = toMnemoError(err, req.get('content-encoding'));
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
