import { Router } from 'express';
import {
  batchDeleteSchema,
  listQuerySchema,
  memoryDeleteQuerySchema,
  memoryIdSchema,
  memoryPatchSchema,
  MnemoError,
  userQuerySchema,
  type TaxonomyEntry,
} from '@mnemo/core';
import type { Embedder } from '@mnemo/pipeline';
import type { ProfileQueue } from '@mnemo/queue';
import type { MemoryStore } from '@mnemo/store';
import { actingUser, principalOf } from '../middleware/authenticate';
import { checkCategories } from '../middleware/check-categories';
import { parseOrThrow, requireJson } from '../middleware/validate';
import { memoryView } from '../memory-view';
import type { MemoryList } from '../openapi/response-schemas';

export interface ManagementRouteDeps {
  store: MemoryStore;
  embedder: Embedder;
  taxonomy: TaxonomyEntry[];
  profiles: ProfileQueue;
  jsonBody: import('express').RequestHandler;
}

/** List, read, correct and delete stored memories. Another user's id is "not found". */
export function memoryManagementRouter({ store, embedder, taxonomy, profiles, jsonBody }: ManagementRouteDeps): Router {
  const router = Router();
  const notFound = (id: string) => new MnemoError('NOT_FOUND', `No memory ${id}`);

  router.get('/v1/memories', async (req, res) => {
    const query = parseOrThrow(listQuerySchema, req.query, 'Query');
    checkCategories(taxonomy, query.categories);
    const userId = actingUser(principalOf(res.locals), query.user_id);
    const { page, page_size: pageSize, user_id: _u, ...filter } = query;
    const { items, total } = await store.list(userId, { page, pageSize, filter });
    const totalPages = Math.ceil(total / pageSize);
    res.json({
      data: items.map(memoryView),
      pagination: {
        page,
        page_size: pageSize,
        total_items: total,
        total_pages: totalPages,
        has_next: page < totalPages,
        has_previous: page > 1 && totalPages > 0,
      },
    } satisfies MemoryList);
  });

  router.get('/v1/memories/:id', async (req, res) => {
    const { user_id } = parseOrThrow(userQuerySchema, req.query, 'Query');
    const userId = actingUser(principalOf(res.locals), user_id);
    const id = parseOrThrow(memoryIdSchema, req.params.id, 'Memory id');
    const memory = await store.get(userId, id);
    if (!memory) throw notFound(id);
    res.json(memoryView(memory));
  });

  // A deleted memory keeps its history; another user's answers 404 like a missing one.
  router.get('/v1/memories/:id/history', async (req, res) => {
    const { user_id } = parseOrThrow(userQuerySchema, req.query, 'Query');
    const userId = actingUser(principalOf(res.locals), user_id);
    const id = parseOrThrow(memoryIdSchema, req.params.id, 'Memory id');
    const events = await store.history(userId, id);
    if (events.length === 0) throw notFound(id);
    res.json({ memory_id: id, events });
  });

  router.patch('/v1/memories/:id', requireJson, jsonBody, async (req, res) => {
    const patch = parseOrThrow(memoryPatchSchema, req.body);
    checkCategories(taxonomy, patch.categories);
    const userId = actingUser(principalOf(res.locals), patch.user_id);
    const id = parseOrThrow(memoryIdSchema, req.params.id, 'Memory id');
    // A new text gets a new embedding, so search follows the correction.
    const vector = patch.memory !== undefined ? (await embedder.embed([patch.memory], 'document'))[0] : undefined;
    const actor = principalOf(res.locals).keyId;
    const updated = await store.update(userId, id, { memory: patch.memory, categories: patch.categories, type: patch.type, vector }, new Date(), actor);
    if (!updated) throw notFound(id);
    await profiles.requestRebuild(userId);
    res.json(memoryView(updated));
  });

  // erase=true: the history keeps what happened and when, not what was said (also for a memory deleted before).
  router.delete('/v1/memories/:id', async (req, res) => {
    const { user_id, erase } = parseOrThrow(memoryDeleteQuerySchema, req.query, 'Query');
    const userId = actingUser(principalOf(res.locals), user_id);
    const id = parseOrThrow(memoryIdSchema, req.params.id, 'Memory id');
    const [deleted] = await store.delete(userId, [id], new Date(), principalOf(res.locals).keyId);
    const scrubbed = erase === 'true' ? await store.scrubHistory(userId, id) : undefined;
    if (!deleted && !scrubbed) throw notFound(id);
    if (deleted) await profiles.requestRebuild(userId);
    res.json({ success: true, deleted_id: id, ...(scrubbed === undefined ? {} : { history_scrubbed: scrubbed }) });
  });

  router.post('/v1/memories/batch-delete', requireJson, jsonBody, async (req, res) => {
    const body = parseOrThrow(batchDeleteSchema, req.body);
    const userId = actingUser(principalOf(res.locals), body.user_id);
    const ids = [...new Set(body.memory_ids)];
    const deleted = await store.delete(userId, ids.filter((id) => memoryIdSchema.safeParse(id).success), new Date(), principalOf(res.locals).keyId);
    const gone = new Set(deleted);
    if (deleted.length > 0) await profiles.requestRebuild(userId);
    res.json({ success: true, deleted_count: deleted.length, deleted, not_found: ids.filter((id) => !gone.has(id)) });
  });

  return router;
}
