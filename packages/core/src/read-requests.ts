import { z } from 'zod';
import { MEMORY_TYPES } from './memory-types';
import { userIdSchema } from './store-memories-request';

/** Schemas of the read and manage endpoints. Category names are checked against the taxonomy separately. */

const optionalId = z.string().trim().min(1).max(256).optional();
const categoryList = z.array(z.string().trim().min(1).max(64)).max(20);
/** Query strings give "a,b" or repeated keys; both become a list. */
const categoryQuery = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
  .pipe(categoryList)
  .optional();

export const searchRequestSchema = z.object({
  query: z.string().trim().min(1, 'must not be empty').max(2_000),
  limit: z.number().int().min(1).max(100).default(10),
  categories: categoryList.optional(),
  type: z.enum(MEMORY_TYPES).optional(),
  agent_id: optionalId,
  thread_id: optionalId,
  rerank: z.boolean().default(false),
  /** MemSync documents true: its clients expect the bio unless they opt out. */
  include_bio: z.boolean().default(true),
  /** Also memories a later fact contradicted (closed, with valid_until and superseded_by). */
  include_superseded: z.boolean().default(false),
  user_id: userIdSchema.optional(),
});
export type SearchRequest = z.infer<typeof searchRequestSchema>;

export const listQuerySchema = z.object({
  page: z.coerce.number().int().min(1).default(1),
  page_size: z.coerce.number().int().min(1).max(100).default(20),
  categories: categoryQuery,
  type: z.enum(MEMORY_TYPES).optional(),
  agent_id: optionalId,
  thread_id: optionalId,
  created_after: z.iso.datetime({ offset: true }).optional(),
  created_before: z.iso.datetime({ offset: true }).optional(),
  include_superseded: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .transform((v) => v === 'true')
    .optional(),
  user_id: userIdSchema.optional(),
});
export type ListQuery = z.infer<typeof listQuerySchema>;

export const memoryPatchSchema = z
  .object({
    memory: z.string().trim().min(1).max(2_000).optional(),
    categories: categoryList.min(1).optional(),
    type: z.enum(MEMORY_TYPES).optional(),
    user_id: userIdSchema.optional(),
  })
  .strict()
  .refine((p) => p.memory !== undefined || p.categories !== undefined || p.type !== undefined, {
    message: 'give at least one of memory, categories, type',
  });
export type MemoryPatchRequest = z.infer<typeof memoryPatchSchema>;

export const batchDeleteSchema = z.object({
  memory_ids: z.array(z.string().min(1).max(64)).min(1).max(1_000),
  user_id: userIdSchema.optional(),
});

export const memoryIdSchema = z.uuid({ message: 'is not a memory id' });

export const userQuerySchema = z.object({ user_id: userIdSchema.optional(), refresh: z.enum(['true', 'false']).optional() });

/** DELETE /v1/memories/:id: `erase=true` also scrubs the memory's texts from its history. */
export const memoryDeleteQuerySchema = z.object({ user_id: userIdSchema.optional(), erase: z.enum(['true', 'false']).optional() });
