import { Router } from 'express';
import { z } from 'zod';
import { formatSeconds, MnemoError, storeMemoriesRequestSchema, type IngestJobResult } from '@mnemo/core';
import type { IngestQueue } from '@mnemo/queue';
import { actingUser, principalOf } from '../middleware/authenticate';
import type { LlmSpendGuard } from '../llm-spend-guard';
import { parseOrThrow, requireJson } from '../middleware/validate';
import type { StoreMemoriesAccepted, StoreMemoriesCompleted } from '../openapi/response-schemas';

export const idempotencyKeySchema = z.string().trim().min(1).max(255).optional();

export interface MemoriesRouteDeps {
  ingest: IngestQueue;
  /** With Claude: the per-user daily model budget. */
  spendGuard?: LlmSpendGuard;
  syncWaitMs: number;
  jsonBody: import('express').RequestHandler;
}

/**
 * MemSync's store-memories answer. `duplicate`: this conversation had been
 * stored before (the same Idempotency-Key or content), so this request
 * changed nothing and counts nothing; the job's own result is at its status URL.
 */
function completedBody(jobId: string, result: IngestJobResult, duplicate: boolean): StoreMemoriesCompleted {
  if (duplicate || result.duplicate) {
    return {
      success: true,
      duplicate: true,
      memories_created: 0,
      memories_merged: 0,
      memories_updated: 0,
      memories_superseded: 0,
      processing_time: formatSeconds(result.processing_ms),
      categories_detected: [],
      memories: [],
      job_id: jobId,
    };
  }
  return {
    success: true,
    duplicate: false,
    memories_created: result.memories_created,
    memories_merged: result.memories_merged,
    memories_updated: result.memories_updated,
    memories_superseded: result.memories_superseded,
    processing_time: formatSeconds(result.processing_ms),
    categories_detected: result.categories_detected,
    memories: result.memories,
    job_id: jobId,
  };
}

function acceptedBody(jobId: string, status: string): StoreMemoriesAccepted {
  return { success: true, job_id: jobId, status, status_url: `/v1/jobs/${encodeURIComponent(jobId)}` };
}

export function memoriesRouter({ ingest, syncWaitMs, jsonBody, spendGuard }: MemoriesRouteDeps): Router {
  const router = Router();

  router.post('/v1/memories', requireJson, jsonBody, async (req, res) => {
    const principal = principalOf(res.locals);
    const body = parseOrThrow(storeMemoriesRequestSchema, req.body);
    const idempotencyKey = parseOrThrow(idempotencyKeySchema, req.get('idempotency-key'), 'Idempotency-Key header');
    const userId = actingUser(principal, body.user_id);
    const { user_id: _ignored, ...conversation } = body;

    await spendGuard?.take(userId);
    const { job, duplicate } = await ingest.admit(userId, conversation, idempotencyKey, principal.keyId);
    const jobId = job.id!;
    const wantsAsync = req.query.async === 'true' || /\brespond-async\b/i.test(req.get('prefer') ?? '');

    const accepted = async (status?: string) => {
      if (wantsAsync) res.setHeader('Preference-Applied', 'respond-async');
      res
        .status(202)
        .location(`/v1/jobs/${encodeURIComponent(jobId)}`)
        .json(acceptedBody(jobId, status ?? (await job.getState())));
    };
    // A job added (or a failed one run again) by this request is waiting: no need to read its state back.
    if (wantsAsync) return accepted(duplicate ? undefined : 'waiting');

    const outcome = await ingest.waitFor(job, syncWaitMs);
    switch (outcome.kind) {
      case 'completed':
        return res.status(200).json(completedBody(jobId, outcome.result, duplicate));
      case 'failed':
        throw new MnemoError(outcome.error.code, outcome.error.message, { job_id: jobId });
      case 'timeout':
        return accepted();
    }
  });

  return router;
}
