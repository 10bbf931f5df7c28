import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { batchItemSchema, conversationBytes, judgeBatch, MnemoError, oversizedConversation, type BackpressureLimits } from '@mnemo/core';
import type { IngestQueue, Submission } from '@mnemo/queue';
import type { LlmSpendGuard } from '../llm-spend-guard';
import { actingUser, principalOf } from '../middleware/authenticate';
import { fieldPath, parseOrThrow, requireJson } from '../middleware/validate';
import type { BatchAccepted } from '../openapi/response-schemas';

export interface BatchRouteDeps {
  ingest: IngestQueue;
  maxItems: number;
  /** Largest conversation, in bytes: the same bound as POST /v1/memories. */
  maxConversationBytes: number;
  /** Backpressure bounds (jobs and bytes waiting); see judgeBatch. */
  backpressure: BackpressureLimits;
  retryAfterSeconds: number;
  batchBody: RequestHandler;
  spendGuard?: LlmSpendGuard;
}

interface Rejected {
  index: number;
  error: { code: string; message: string; details?: unknown };
}

const rejection = (index: number, err: MnemoError): Rejected => ({
  index,
  error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
});

/**
 * POST /v1/memories/batch: many conversations in one request, for importers.
 * Each item is checked on its own, against the same limits as a
 * conversation posted alone: the good ones are enqueued together (at
 * import priority), the bad ones come back with their reasons, and one bad
 * item never costs the others.
 */
export function memoriesBatchRouter({ ingest, maxItems, maxConversationBytes, backpressure, retryAfterSeconds, batchBody, spendGuard }: BatchRouteDeps): Router {
  const router = Router();
  const envelope = z.object({
    conversations: z.array(z.unknown()).min(1, 'must contain at least one conversation').max(maxItems, `at most ${maxItems} conversations per request`),
  });

  router.post('/v1/memories/batch', requireJson, batchBody, async (req, res) => {
    const principal = principalOf(res.locals);
    const { conversations } = parseOrThrow(envelope, req.body);

    const rejected: Rejected[] = [];
    const good: (Submission & { index: number; bytes: number })[] = [];
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
        const oversized = oversizedConversation(conversation, maxConversationBytes);
        if (oversized) throw oversized;
        good.push({ index, userId, conversation, idempotencyKey: idempotency_key, bytes: conversationBytes(conversation) });
      } catch (err) {
        if (!(err instanceof MnemoError)) throw err;
        rejected.push(rejection(index, err));
      }
    }

    // Backpressure: an import waits rather than growing Redis without bound, and fairly: each of the batch's users is judged on their share.
    const perUser = new Map<string, { jobs: number; bytes: number }>();
    for (const item of good) {
      const sum = perUser.get(item.userId) ?? { jobs: 0, bytes: 0 };
      perUser.set(item.userId, { jobs: sum.jobs + 1, bytes: sum.bytes + item.bytes });
    }
    for (const [userId, incoming] of perUser) {
      const backlog = await ingest.backlogOf(userId);
      const verdict = judgeBatch(backlog, incoming, backpressure);
      if (verdict.admit) continue;
      res.setHeader('Retry-After', String(retryAfterSeconds));
      const why = verdict.reason === 'full' ? 'the ingest queue is full' : `user ${userId} has more than their share of the ingest queue waiting`;
      throw new MnemoError('SERVICE_UNAVAILABLE', `Import backpressure: ${why} (${backlog.jobs} jobs, ${backlog.bytes} bytes waiting); retry after ${retryAfterSeconds} s`, {
        reason: verdict.reason,
        waiting: backlog.jobs,
        waiting_bytes: backlog.bytes,
        max_waiting: backpressure.maxJobs,
        max_waiting_bytes: backpressure.maxBytes,
        share_jobs: verdict.share_jobs,
        share_bytes: verdict.share_bytes,
        retry_after_seconds: retryAfterSeconds,
      });
    }

    // The daily model budget is spent only on what backpressure let through.
    const admitted: typeof good = [];
    for (const item of good) {
      try {
        await spendGuard?.take(item.userId);
        admitted.push(item);
      } catch (err) {
        if (!(err instanceof MnemoError)) throw err;
        rejected.push(rejection(item.index, err));
      }
    }

    const outcomes = admitted.length > 0 ? await ingest.enqueueMany(admitted, principal.keyId) : [];
    const jobs: { index: number; job_id: string; duplicate: boolean }[] = [];
    for (const [i, outcome] of outcomes.entries()) {
      const { index } = admitted[i]!;
      if ('refused' in outcome) rejected.push(rejection(index, outcome.refused));
      else jobs.push({ index, job_id: outcome.jobId, duplicate: outcome.duplicate });
    }
    rejected.sort((a, b) => a.index - b.index);
    res.status(202).json({
      success: true,
      accepted: jobs.length,
      // Already known (same idempotency key or content): accepted, but not enqueued again.
      duplicates: jobs.filter((j) => j.duplicate).length,
      rejected,
      jobs,
    } satisfies BatchAccepted);
  });

  return router;
}
