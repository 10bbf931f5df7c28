import { Router } from 'express';
import { userQuerySchema } from '@mnemo/core';
import type { UserProfile } from '@mnemo/pipeline';
import type { ProfileCache, UserErasure } from '@mnemo/queue';
import type { MemoryStore } from '@mnemo/store';
import { actingUser, principalOf } from '../middleware/authenticate';
import { parseOrThrow } from '../middleware/validate';

export interface UserErasureRouteDeps {
  store: MemoryStore;
  erasure: UserErasure;
  profileCache: ProfileCache<UserProfile>;
}

/**
 * DELETE /v1/users/me: everything mnemo holds about the acting user (a
 * service key names one with ?user_id=). Queued work goes first, so no
 * pending job writes memories or a profile back; jobs running right now
 * cannot be removed and are listed, to erase again once they are done.
 */
export function userErasureRouter({ store, erasure, profileCache }: UserErasureRouteDeps): Router {
  const router = Router();
  router.delete('/v1/users/me', async (req, res) => {
    const { user_id } = parseOrThrow(userQuerySchema, req.query, 'Query');
    const userId = actingUser(principalOf(res.locals), user_id);
    const queued = await erasure.erase(userId);
    const { memories } = await store.eraseUser(userId);
    // A rebuild that ran while the store was being erased may have cached a profile again.
    const profile = (await profileCache.delete(userId)) || queued.profile;
    res.json({
      success: true,
      user_id: userId,
      erased: {
        memories,
        ingest_jobs: queued.ingest_jobs,
        profile_jobs: queued.profile_jobs,
        webhook_deliveries: queued.webhook_deliveries,
        profile,
      },
      running_jobs: queued.running,
    });
  });
  return router;
}
