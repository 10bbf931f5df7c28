import { Router } from 'express';
import { userQuerySchema } from '@mnemo/core';
import { buildProfile, type UserProfile } from '@mnemo/pipeline';
import type { ProfileCache, ProfileQueue } from '@mnemo/queue';
import type { MemoryStore } from '@mnemo/store';
import { actingUser, principalOf } from '../middleware/authenticate';
import { parseOrThrow } from '../middleware/validate';

/**
 * The user's profile. Workers rebuild it into the cache after memories
 * change, so a read is one Redis GET; a user with no cached profile yet, or
 * ?refresh=true, gets it built now (and cached) with the assembled bio, and
 * where a model writes bios, a rebuild is requested for the model's.
 */
export function profileRouter(deps: {
  store: MemoryStore;
  profileCache: ProfileCache<UserProfile>;
  profiles: ProfileQueue;
  modelWritesBio: boolean;
}): Router {
  const { store, profileCache } = deps;
  const router = Router();
  router.get('/v1/users/profile', async (req, res) => {
    const { user_id, refresh } = parseOrThrow(userQuerySchema, req.query, 'Query');
    const userId = actingUser(principalOf(res.locals), user_id);
    let profile = refresh === 'true' ? null : await profileCache.get(userId);
    if (!profile) {
      profile = await buildProfile(store, userId);
      await profileCache.set(userId, profile);
      if (deps.modelWritesBio && profile.stats.total_memories > 0) await deps.profiles.requestRebuild(userId);
    }
    res.json({ user_id: userId, ...profile });
  });
  return router;
}
