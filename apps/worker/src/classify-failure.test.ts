import { MnemoError } from '@mnemo/core';
import { ExtractionDeferred, StageAborted, StageFailed, type Analysis } from '@mnemo/pipeline';
import { classifyFailure, DEFAULT_RATE_LIMIT_WAIT_MS, type FailureDecision, type FailureModes } from './classify-failure';

const analysis: Analysis = { referenceTime: '2024-03-20T10:00:00.000Z', turns: [], chunks: [] };
const first = { attemptsMade: 0, opts: { attempts: 5 } };
const last = { attemptsMade: 4, opts: { attempts: 5 } };
const all: FailureModes = { batching: true, rateLimit: true };
const none: FailureModes = { batching: false, rateLimit: false };
const at = (stage: 'extract' | 'store', cause: unknown) => new StageFailed(stage, cause);

describe('classifyFailure', () => {
  it.each<[string, unknown, typeof first, FailureModes, FailureDecision]>([
    ['shutdown between stages hands the job back', new StageAborted('classify'), first, all, { action: 'hand-back', nextStage: 'classify' }],
    ['a deferred extraction waits for the batch', at('extract', new ExtractionDeferred('batch', analysis)), first, all, { action: 'defer', analysis }],
    [
      'a deferred extraction with no batching is an ordinary error',
      at('extract', new ExtractionDeferred('batch', analysis)),
      first,
      none,
      { action: 'retry', code: 'PROCESSING_ERROR', reason: 'extract stage failed: batch', stage: 'extract' },
    ],
    [
      'the provider rate limit pauses for its retry-after',
      at('extract', new MnemoError('RATE_LIMIT_EXCEEDED', '429', { retry_after_ms: 1234 })),
      last,
      all,
      { action: 'rate-limit', waitMs: 1234, stage: 'extract' },
    ],
    [
      'the provider rate limit without retry-after pauses the default',
      at('extract', new MnemoError('RATE_LIMIT_EXCEEDED', '429')),
      first,
      all,
      { action: 'rate-limit', waitMs: DEFAULT_RATE_LIMIT_WAIT_MS, stage: 'extract' },
    ],
    [
      'a rate limit the worker cannot pause for is a final domain error',
      at('extract', new MnemoError('RATE_LIMIT_EXCEEDED', '429')),
      first,
      none,
      { action: 'final', code: 'RATE_LIMIT_EXCEEDED', reason: 'extract stage failed: 429', stage: 'extract' },
    ],
    [
      'a store blip is retried while attempts remain',
      at('store', new Error('store unavailable')),
      first,
      all,
      { action: 'retry', code: 'PROCESSING_ERROR', reason: 'store stage failed: store unavailable', stage: 'store' },
    ],
    [
      'a store blip on the last attempt is final',
      at('store', new Error('store unavailable')),
      last,
      all,
      { action: 'final', code: 'PROCESSING_ERROR', reason: 'store stage failed: store unavailable', stage: 'store' },
    ],
    [
      'a domain error is final on the first attempt',
      at('extract', new MnemoError('VALIDATION_ERROR', 'invalid answer')),
      first,
      all,
      { action: 'final', code: 'VALIDATION_ERROR', reason: 'extract stage failed: invalid answer', stage: 'extract' },
    ],
    [
      'an error outside any stage is retried',
      new Error('lost connection'),
      first,
      all,
      { action: 'retry', code: 'PROCESSING_ERROR', reason: 'unknown stage failed: lost connection', stage: 'unknown' },
    ],
    ['a thrown string is final on a job with one attempt', 'boom', { attemptsMade: 0, opts: {} }, all, { action: 'final', code: 'PROCESSING_ERROR', reason: 'unknown stage failed: boom', stage: 'unknown' }],
  ])('%s', (_name, err, job, modes, expected) => {
    expect(classifyFailure(err, job, modes)).toEqual(expected);
  });
});
