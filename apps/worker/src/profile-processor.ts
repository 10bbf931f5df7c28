import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from '@mnemo/core';
import { buildProfile, type UserProfile } from '@mnemo/pipeline';
import { encodeFailure, PROFILE_QUEUE, type ProfileCache, type ProfileJobData } from '@mnemo/queue';
import type { MemoryStore } from '@mnemo/store';

/** Rebuilds one user's profile from their memories into the cache the API reads. */
export function createProfileProcessor(deps: { store: MemoryStore; cache: ProfileCache<UserProfile>; logger: Logger }) {
  return async (job: Job<ProfileJobData>): Promise<{ total_memories: number }> => {
    const parsed = PROFILE_QUEUE.schema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(encodeFailure('VALIDATION_ERROR', `invalid job payload: ${parsed.error.message}`));
    const profile = await buildProfile(deps.store, parsed.data.user_id);
    await deps.cache.set(parsed.data.user_id, profile);
    deps.logger.debug('profile rebuilt', { job_id: job.id, user_id: parsed.data.user_id, total: profile.stats.total_memories });
    return { total_memories: profile.stats.total_memories };
  };
}
