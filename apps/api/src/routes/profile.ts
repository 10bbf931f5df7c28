import { Router } from 'express';
import { userQuerySchema } from '@mnemo/core';
import { buildProfile } from '@mnemo/pipeline';
import type { MemoryStore } from '@mnemo/store';
import { actingUser, principalOf } from '../middleware/authenticate';
import { parseOrThrow } from '../middleware/validate';

/** The user's profile, assembled from their memories on request. */
export function profileRouter({ store }: { store: MemoryStore }): Router {
  const router = Router();
  router.get('/v1/users/profile', async (req, res) => {
    const { user_id } = parseOrThrow(userQuerySchema, req.query, 'Query');
    const userId = actingUser(principalOf(res.locals), user_id);
    res.json({ user_id: userId, ...(await buildProfile(store, userId)) });
  });
  return router;
}
