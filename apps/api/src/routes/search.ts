import { Router } from 'express';
import { searchRequestSchema, type TaxonomyEntry } from '@mnemo/core';
import { buildProfile, createSearcher, rankDistances, type Embedder, type Reranker, type UserProfile } from '@mnemo/pipeline';
import type { ProfileCache } from '@mnemo/queue';
import type { MemoryStore } from '@mnemo/store';
import { actingUser, principalOf } from '../middleware/authenticate';
import { checkCategories } from '../middleware/check-categories';
import { parseOrThrow, requireJson } from '../middleware/validate';
import type { SearchResponse } from '../openapi/response-schemas';

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
  /**
   * The workers keep the profile cache current; a user who has none yet (a
   * new user, or one whose first rebuild is pending) gets it built once and
   * cached, as GET /v1/users/profile does, so later searches read one key.
   */
  async function bioOf(userId: string): Promise<string | null> {
    const cached = await profileCache.get(userId);
    if (cached) return cached.user_bio;
    const built = await buildProfile(store, userId);
    await profileCache.set(userId, built);
    return built.user_bio;
  }

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
    // include_bio is on by default, so the bio is looked up alongside the search rather than after it.
    const [hits, userBio] = await Promise.all([search(userId, { query: body.query, limit: pool, filter }), body.include_bio ? bioOf(userId) : null]);
    const ranked = body.rerank ? (await reranker.rerank(body.query, hits)).slice(0, body.limit) : hits;
    const raw = ranked.map((hit) => Math.round(hit.vector_distance * 10_000) / 10_000);
    // Without rerank the hybrid score orders the results; MemSync clients expect vector_distance to ascend in that order.
    const distances = body.rerank ? raw : rankDistances(raw);
    // An empty result is an answer, not an error.
    res.json({
      user_bio: userBio,
      memories: ranked.map((hit, i) => ({
        id: hit.memory.id,
        memory: hit.memory.memory,
        categories: hit.memory.categories,
        type: hit.memory.type,
        vector_distance: distances[i]!,
        raw_vector_distance: raw[i]!,
        // Comparable across result lists of one deployment (same weights), so clients can merge them; higher is better.
        score: hit.score,
        ...('rerank_score' in hit ? { rerank_score: hit.rerank_score as number } : {}),
        source: hit.memory.source,
        created_at: hit.memory.created_at,
        updated_at: hit.memory.updated_at,
        agent_id: hit.memory.agent_id,
        thread_id: hit.memory.thread_id,
        valid_until: hit.memory.valid_until,
        superseded_by: hit.memory.superseded_by,
      })),
    } satisfies SearchResponse);
  });
  return router;
}
