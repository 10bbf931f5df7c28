import { memoryId, type Memory } from '@mnemo/core';
import type { MemoryStore, MemoryToStore } from '@mnemo/store';
import type { EmbeddedFact, PipelineInput, StoreOutcome } from '../types';

/**
 * Writes the job's facts with deterministic ids: a fact the user already has
 * is touched (one more mention), not duplicated, so a retried or resubmitted
 * job stores nothing twice.
 */
export async function storeFacts(
  input: PipelineInput,
  facts: EmbeddedFact[],
  store: MemoryStore,
  now: Date,
): Promise<StoreOutcome> {
  const { agent_id, thread_id, source } = input.conversation;
  const byId = new Map<string, MemoryToStore>();
  for (const fact of facts) {
    const id = memoryId(input.userId, fact.text);
    const existing = byId.get(id);
    if (existing) {
      const mention = existing.memory.provenance[0]!;
      mention.message_ids = [...new Set([...mention.message_ids, ...fact.messageIds])];
      continue;
    }
    byId.set(id, {
      memory: {
        id,
        user_id: input.userId,
        memory: fact.text,
        categories: fact.categories,
        type: fact.type,
        event_time: fact.eventTime,
        agent_id,
        thread_id,
        source,
        provenance: [{ job_id: input.jobId, thread_id, agent_id, source, message_ids: fact.messageIds, seen_at: now.toISOString() }],
      },
      vector: fact.vector,
    });
  }
  const outcomes = await store.upsert(input.userId, [...byId.values()], now);
  const created: Memory[] = [];
  const touched: Memory[] = [];
  for (const outcome of outcomes) (outcome.status === 'created' ? created : touched).push(outcome.memory);
  return { created, touched };
}
