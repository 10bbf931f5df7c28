import { Router } from 'express';
import { searchRequestSchema, type TaxonomyEntry } from '@mnemo/core';
import { buildProfile, createSearcher, type Embedder, type Reranker, type UserProfile } from '@mnemo/pipeline';
import type { ProfileCache } from '@mnemo/queue';
import type { MemoryStore } from '@mnemo/store';
import { actingUser, principalOf } from '../middleware/authenticate';
import { checkCategories } from '../middleware/check-categories';
import { parseOrThrow, requireJson } from '../middleware/validate';

export interface SearchRouteDeps {
  store: MemoryStore;
  embedder: Embedder;
  reranker: Reranker;
  taxonomy: TaxonomyEntry[];
  profileCache: ProfileCache<UserProfile>;
  jsonBody: import('express').RequestHandler;
}

/** With rerank, this many times the requested results are re-scored. */
const RERANK_POOL_FACTOR = 5;

export function searchRouter({ store, embedder, reranker, taxonomy, profileCache, jsonBody }: SearchRouteDeps): Router {
  const router = Router();
  const search = createSearcher({ store, embedder });
  router.post('/v1/memories/search', requireJson, jsonBody, async (req, res) => {
    const body = parseOrThrow(searchRequestSchema, req.body);
    checkCategories(taxonomy, body.categories);
    const userId = actingUser(principalOf(res.locals), body.user_id);
    const filter = {
      categories: body.categories,
      type: body.type,
      agent_id: body.agent_id,
      thread_id: body.thread_id,
      include_superseded: body.include_superseded,
    };
    const pool = body.rerank ? Math.min(100, body.limit * RERANK_POOL_FACTOR) : body.limit;
    const hits = await search(userId, { query: body.query, limit: pool, filter });
    const ranked = body.rerank ? (await reranker.rerank(body.query, hits)).slice(0, body.limit) : hits;
    // An empty result is an answer, not an error.
    res.json({
      // The workers keep the profile cache current; build only for a user who has none yet.
      user_bio: body.include_bio ? ((await profileCache.get(userId)) ?? (await buildProfile(store, userId))).user_bio : null,
      memories: ranked.map((hit) => ({
        id: hit.memory.id,
        memory: hit.memory.memory,
        categories: hit.memory.categories,
        type: hit.memory.type,
        vector_distance: Math.round(hit.vector_distance * 10_000) / 10_000,
        // Comparable across result lists of one deployment (same weights), so clients can merge them; higher is better.
        score: hit.score,
        ...('rerank_score' in hit ? { rerank_score: hit.rerank_score } : {}),
        source: hit.memory.source,
        created_at: hit.memory.created_at,
        updated_at: hit.memory.updated_at,
        agent_id: hit.memory.agent_id,
        thread_id: hit.memory.thread_id,
        valid_until: hit.memory.valid_until,
        superseded_by: hit.memory.superseded_by,
      })),
    });
  });
  return router;
}
