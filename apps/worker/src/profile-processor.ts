import { UnrecoverableError, type Job } from 'bullmq';
import type { LlmUsage, Logger } from '@mnemo/core';
import { buildProfile, type BioWriter, type UserProfile } from '@mnemo/pipeline';
import { encodeFailure, PROFILE_QUEUE, type ProfileCache, type ProfileJobData } from '@mnemo/queue';
import type { MemoryStore } from '@mnemo/store';

/** Rebuilds one user's profile from their memories into the cache the API reads. */
export function createProfileProcessor(deps: {
  store: MemoryStore;
  cache: ProfileCache<UserProfile>;
  logger: Logger;
  bioWriter?: BioWriter;
  recordUsage?: (usage: LlmUsage) => Promise<void>;
}) {
  return async (job: Job<ProfileJobData>): Promise<{ total_memories: number }> => {
    const parsed = PROFILE_QUEUE.schema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(encodeFailure('VALIDATION_ERROR', `invalid job payload: ${parsed.error.message}`));
    const userId = parsed.data.user_id;
    const profile = await buildProfile(deps.store, userId, {
      bioWriter: deps.bioWriter,
      onUsage: deps.recordUsage,
      onBioError: (err) =>
        deps.logger.warn('model bio failed; using the assembled one', { job_id: job.id, user_id: userId, error: String(err) }),
    });
    await deps.cache.set(userId, profile);
    deps.logger.debug('profile rebuilt', { job_id: job.id, user_id: userId, total: profile.stats.total_memories, bio: profile.bio_source });
    return { total_memories: profile.stats.total_memories };
  };
}
