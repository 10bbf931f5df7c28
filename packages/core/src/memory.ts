import { z } from 'zod';
import { MEMORY_TYPES } from './memory-types';

/** A stored memory, as the store holds it and the API returns it. */
export const memorySchema = z.object({
  id: z.uuid(),
  user_id: z.string(),
  memory: z.string(),
  categories: z.array(z.string().min(1).max(64)),
  type: z.enum(MEMORY_TYPES),
  /** For episodic memories: when the event happens or happened (ISO-8601). */
  event_time: z.string().nullable(),
  agent_id: z.string(),
  thread_id: z.string(),
  source: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  /** How often this fact has been seen; a re-stated fact touches, not duplicates. */
  mentions: z.number().int(),
  /** Ids (or indexes) of the messages the fact came from, and the job that stored it. */
  provenance: z.object({ job_id: z.string(), message_ids: z.array(z.string()) }),
});
export type Memory = z.infer<typeof memorySchema>;
