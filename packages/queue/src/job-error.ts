import { ERROR_STATUS, type ErrorBody, type ErrorCode } from '@mnemo/core';

/**
 * BullMQ keeps a failed job's reason as one string. mnemo writes it as
 * "[CODE] message" so operators read it as is and the API can recover the code.
 */
export function encodeFailure(code: ErrorCode, message: string): string {
  return `[${code}] ${message}`;
}

export function decodeFailure(reason: string | undefined): ErrorBody {
  const match = /^\[([A-Z_]+)\] ([\s\S]*)$/.exec(reason ?? '');
  if (match && match[1]! in ERROR_STATUS) return { code: match[1] as ErrorCode, message: match[2]! };
  return { code: 'PROCESSING_ERROR', message: reason || 'job failed without a reason' };
}
