import { Router } from 'express';
import { z } from 'zod';
import { MnemoError } from '@mnemo/core';
import type { IngestQueue } from '@mnemo/queue';
import { actingUser, principalOf } from '../middleware/authenticate';
import { parseOrThrow } from '../middleware/validate';

const jobIdSchema = z.string().min(1).max(128).regex(/^[A-Za-z0-9_-]+$/, 'is not a job id');

export function jobsRouter({ ingest }: { ingest: IngestQueue }): Router {
  const router = Router();
  router.get('/v1/jobs/:id', async (req, res) => {
    const userId = actingUser(principalOf(res.locals), typeof req.query.user_id === 'string' ? req.query.user_id : undefined);
    const jobId = parseOrThrow(jobIdSchema, req.params.id, 'Job id');
    const job = await ingest.findOwned(jobId, userId);
    // Another user's job answers exactly like a missing one.
    if (!job) throw new MnemoError('NOT_FOUND', `No job ${jobId}`);
    res.json(await ingest.view(job));
  });
  return router;
}
