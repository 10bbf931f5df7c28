import { Router } from 'express';
import { userQuerySchema, type TaxonomyEntry } from '@mnemo/core';
import type { MemoryStore } from '@mnemo/store';
import { actingUser, principalOf } from '../middleware/authenticate';
import { parseOrThrow } from '../middleware/validate';

/** The taxonomy with the caller's count in each category. */
export function categoriesRouter({ store, taxonomy }: { store: MemoryStore; taxonomy: TaxonomyEntry[] }): Router {
  const router = Router();
  router.get('/v1/categories', async (req, res) => {
    const { user_id } = parseOrThrow(userQuerySchema, req.query, 'Query');
    const userId = actingUser(principalOf(res.locals), user_id);
    const { by_category } = await store.stats(userId);
    res.json({
      categories: taxonomy.map((c) => ({ name: c.name, description: c.description, builtin: c.builtin, count: by_category[c.name] ?? 0 })),
    });
  });
  return router;
}
