import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { batchItemSchema, MnemoError, type Conversation } from '@mnemo/core';
import type { IngestQueue } from '@mnemo/queue';
import type { LlmSpendGuard } from '../llm-spend-guard';
import { actingUser, principalOf } from '../middleware/authenticate';
import { fieldPath, parseOrThrow, requireJson } from '../middleware/validate';

export interface BatchRouteDeps {
  ingest: IngestQueue;
  maxItems: number;
  /** Above this many waiting ingest jobs, batches are refused with 503 and Retry-After. */
  maxWaiting: number;
  retryAfterSeconds: number;
  batchBody: RequestHandler;
  spendGuard?: LlmSpendGuard;
}

interface Rejected {
  index: number;
  error: { code: string; message: string; details?: unknown };
}

/**
 * POST /v1/memories/batch: many conversations in one request, for importers.
 * Each item is checked on its own: the good ones are enqueued together
 * (at import priority), the bad ones come back with their reasons, and one
 * bad item never costs the others.
 */
export function memoriesBatchRouter({ ingest, maxItems, maxWaiting, retryAfterSeconds, batchBody, spendGuard }: BatchRouteDeps): Router {
  const router = Router();
  const envelope = z.object({
    conversations: z.array(z.unknown()).min(1, 'must contain at least one conversation').max(maxItems, `at most ${maxItems} conversations per request`),
  });

  router.post('/v1/memories/batch', requireJson, batchBody, async (req, res) => {
    const principal = principalOf(res.locals);
    const { conversations } = parseOrThrow(envelope, req.body);

    // Backpressure: an import waits rather than growing Redis without bound; live traffic is never refused for it.
    const waiting = await ingest.waitingCount();
    if (waiting > maxWaiting) {
      res.setHeader('Retry-After', String(retryAfterSeconds));
      throw new MnemoError('SERVICE_UNAVAILABLE', `The ingest queue is full (${waiting} jobs waiting); retry after ${retryAfterSeconds} s`, {
        waiting,
        max_waiting: maxWaiting,
        retry_after_seconds: retryAfterSeconds,
      });
    }

    const rejected: Rejected[] = [];
    const good: { index: number; userId: string; conversation: Conversation; idempotencyKey?: string }[] = [];
    for (const [index, raw] of conversations.entries()) {
      const parsed = batchItemSchema.safeParse(raw);
      if (!parsed.success) {
        const details = parsed.error.issues.map((issue) => ({ field: fieldPath(issue.path) || '(item)', message: issue.message }));
        rejected.push({ index, error: { code: 'VALIDATION_ERROR', message: `${details[0]!.field}: ${details[0]!.message}`, details } });
        continue;
      }
      const { user_id, idempotency_key, ...conversation } = parsed.data;
      try {
        const userId = actingUser(principal, user_id);
        await spendGuard?.take(userId);
        good.push({ index, userId, conversation, idempotencyKey: idempotency_key });
      } catch (err) {
        if (!(err instanceof MnemoError)) throw err;
        rejected.push({ index, error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } });
      }
    }

    const enqueued = good.length > 0 ? await ingest.enqueueMany(good, principal.keyId) : [];
    res.status(202).json({
      success: true,
      accepted: good.length,
      // Already known (same idempotency key or content): accepted, but not enqueued again.
      duplicates: enqueued.filter((e) => e.duplicate).length,
      rejected,
      jobs: good.map(({ index }, i) => ({ index, job_id: enqueued[i]!.jobId, duplicate: enqueued[i]!.duplicate })),
    });
  });

  return router;
}
