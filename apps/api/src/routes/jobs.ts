import { Router } from 'express';
import { z } from 'zod';
import { MnemoError, userIdSchema } from '@mnemo/core';
import type { IngestQueue } from '@mnemo/queue';
import { actingUser, principalOf } from '../middleware/authenticate';
import { parseOrThrow, requireJson } from '../middleware/validate';

export const jobIdSchema = z.string().min(1).max(128).regex(/^[A-Za-z0-9_-]+$/, 'is not a job id');

export const statusRequestSchema = z.object({
  job_ids: z.array(jobIdSchema).min(1).max(1_000),
  user_id: userIdSchema.optional(),
});

export function jobsRouter({ ingest, jsonBody }: { ingest: IngestQueue; jsonBody: import('express').RequestHandler }): Router {
  const router = Router();

  // Many jobs at once, for importers following their work: state and counts, not the full view.
  router.post('/v1/jobs/status', requireJson, jsonBody, async (req, res) => {
    const body = parseOrThrow(statusRequestSchema, req.body);
    const userId = actingUser(principalOf(res.locals), body.user_id);
    const jobs = await Promise.all(
      body.job_ids.map(async (jobId) => {
        const job = await ingest.findOwned(jobId, userId);
        if (!job) return { job_id: jobId, status: 'not_found' };
        const view = await ingest.view(job);
        return {
          job_id: jobId,
          status: view.status,
          memories_created: view.result?.memories_created ?? null,
          error: view.error,
        };
      }),
    );
    res.json({ jobs });
  });

  router.get('/v1/jobs/:id', async (req, res) => {
    const userId = actingUser(principalOf(res.locals), req.query.user_id);
    const jobId = parseOrThrow(jobIdSchema, req.params.id, 'Job id');
    const job = await ingest.findOwned(jobId, userId);
    // Another user's job answers exactly like a missing one.
    if (!job) throw new MnemoError('NOT_FOUND', `No job ${jobId}`);
    res.json(await ingest.view(job));
  });
  return router;
}
