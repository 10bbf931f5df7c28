import { withKeys, withMention, type Memory, type MemoryHistoryEvent, type MemorySource } from '@mnemo/core';
import { contentOf, type AppliedJob, type MemoryKey, type MemoryWrite, type WriteResult } from './memory-store';

/** A memory's state after the job's writes; the vector only when it is new or changed. */
export interface PlannedMemory {
  memory: Memory;
  vector?: number[];
  /** Not in the store before this job. */
  isNew: boolean;
  /** Embeddings of keys this job added (the store has the others); memory.keys is the full list. */
  newKeys: MemoryKey[];
}

/**
 * What one job's writes do to the store, worked out before anything is
 * written, so every adapter applies the same rules: SQLite inside one
 * transaction, Qdrant as a few batched requests.
 */
export interface WritePlan {
  /** Final state of every memory the job creates or changes, in first-touched order. */
  changed: Map<string, PlannedMemory>;
  events: MemoryHistoryEvent[];
  applied: AppliedJob;
  result: WriteResult;
}

/** Every memory id a job's writes read: the items' own ids, targets and superseded ids. */
export function idsToRead(writes: MemoryWrite[]): string[] {
  const ids = new Set<string>();
  for (const w of writes) {
    ids.add(w.item.memory.id);
    if (w.target) ids.add(w.target);
    for (const id of w.supersedes ?? []) ids.add(id);
  }
  return [...ids];
}

/** Adds a mention, or widens this job's mention when the job already gave one (two facts, one memory). */
function mentioned(memory: Memory, mention: MemorySource, seen: string): Memory {
  const own = memory.provenance.findIndex((p) => p.job_id === mention.job_id);
  if (own >= 0) {
    const provenance = [...memory.provenance];
    const merged = [...new Set([...provenance[own]!.message_ids, ...mention.message_ids])];
    provenance[own] = { ...provenance[own]!, message_ids: merged };
    return { ...memory, provenance };
  }
  // An old conversation imported late does not make the fact look more recent than a newer mention did.
  const lastSeen = seen > memory.last_seen_at ? seen : memory.last_seen_at;
  return { ...memory, mentions: memory.mentions + 1, last_seen_at: lastSeen, provenance: withMention(memory.provenance, mention) };
}

/**
 * Applies a job's reconciled writes to the existing memories they read
 * (`existing`, from idsToRead), in order. A memory this job already wrote
 * to (an earlier attempt cut short, in a store without transactions) is not
 * counted twice.
 */
export function planWrites(jobId: string, writes: MemoryWrite[], existing: Map<string, Memory>, now: Date): WritePlan {
  const stamp = now.toISOString();
  const state = new Map(existing);
  const changed = new Map<string, PlannedMemory>();
  const events: MemoryHistoryEvent[] = [];
  const ids = { created: new Set<string>(), merged: new Set<string>(), updated: new Set<string>(), superseded: new Set<string>() };

  const put = (memory: Memory, vector?: number[], added: MemoryKey[] = []) => {
    const before = changed.get(memory.id);
    state.set(memory.id, memory);
    const newKeys = [...(before?.newKeys ?? []), ...added].filter((k) => memory.keys.includes(k.text));
    changed.set(memory.id, { memory, vector: vector ?? before?.vector, isNew: before?.isNew ?? !existing.has(memory.id), newKeys });
  };
  /** The item's keys the memory does not hold yet, with their vectors. */
  const keysOf = (item: MemoryWrite['item'], memory?: Memory): MemoryKey[] =>
    (item.memory.keys ?? [])
      .map((text, i) => ({ text, vector: item.keyVectors?.[i] }))
      .filter((k): k is MemoryKey => k.vector !== undefined && !memory?.keys.includes(k.text));
  const withItemKeys = (memory: Memory, item: MemoryWrite['item']): Memory => ({ ...memory, keys: withKeys(memory.keys, item.memory.keys ?? []) });
  const event = (memory_id: string, name: MemoryHistoryEvent['event'], before: MemoryHistoryEvent['before'], after: MemoryHistoryEvent['after']) =>
    events.push({ memory_id, event: name, at: stamp, job_id: jobId, actor: null, before, after });

  for (const write of writes) {
    const { item } = write;
    const mention = item.memory.provenance[0]!;
    const seen = item.observedAt && item.observedAt < stamp ? item.observedAt : stamp;
    let current = write.target ? state.get(write.target) : undefined;
    // A target deleted since the decision: the fact is stored in its own right.
    const action = write.action !== 'create' && current ? write.action : 'create';
    if (action === 'create') current = state.get(item.memory.id);

    let resultId: string;
    if (!current) {
      const memory: Memory = {
        ...item.memory,
        created_at: seen,
        updated_at: stamp,
        last_seen_at: seen,
        mentions: 1,
        valid_until: null,
        superseded_by: null,
        keys: withKeys([], item.memory.keys ?? []),
      };
      put(memory, item.vector, keysOf(item));
      event(memory.id, 'created', null, contentOf(memory));
      ids.created.add(memory.id);
      resultId = memory.id;
    } else if (current.provenance.some((p) => p.job_id === jobId) && !changed.has(current.id)) {
      // Written by an earlier attempt of this job: nothing to change, count it as then.
      (current.provenance[0]!.job_id === jobId ? ids.created : action === 'refine' ? ids.updated : ids.merged).add(current.id);
      resultId = current.id;
    } else if (action === 'refine') {
      const next: Memory = {
        ...withItemKeys(mentioned(current, mention, seen), item),
        memory: item.memory.memory,
        categories: item.memory.categories,
        type: item.memory.type,
        event_time: item.memory.event_time,
        attributes: item.memory.attributes,
        updated_at: stamp,
      };
      put(next, item.vector, keysOf(item, current));
      event(current.id, 'updated', contentOf(current), contentOf(next));
      ids.updated.add(current.id);
      resultId = current.id;
    } else {
      const next = withItemKeys(mentioned(current, mention, seen), item);
      const added = keysOf(item, current);
      if (current.valid_until) {
        // Stated again after being contradicted: true again (moved back to a former city).
        const restored = { ...next, valid_until: null, superseded_by: null };
        put(restored, undefined, added);
        event(current.id, 'restored', { valid_until: current.valid_until, superseded_by: current.superseded_by }, { valid_until: null });
        ids.updated.add(current.id);
      } else {
        put(next, undefined, added);
        if (next.mentions !== current.mentions) {
          event(current.id, 'merged', { mentions: current.mentions }, {
            mentions: next.mentions,
            wording: item.memory.memory,
            thread_id: mention.thread_id,
            message_ids: mention.message_ids,
          });
        }
        ids.merged.add(current.id);
      }
      resultId = current.id;
    }

    for (const oldId of write.supersedes ?? []) {
      const old = state.get(oldId);
      if (!old || old.valid_until || oldId === resultId) continue;
      if (old.last_seen_at > seen) {
        // An older conversation imported late ("lived in Lisbon" in 2023, after "lives in Paris" said in 2024):
        // the newer fact stands, and the one just stored is the past it replaced.
        const result = state.get(resultId)!;
        if (ids.created.has(resultId) && !result.valid_until) {
          put({ ...result, valid_until: old.created_at, superseded_by: oldId });
          event(resultId, 'superseded', { valid_until: null, superseded_by: null }, { valid_until: old.created_at, superseded_by: oldId });
          ids.superseded.add(resultId);
        }
        continue;
      }
      put({ ...old, valid_until: stamp, superseded_by: resultId });
      event(oldId, 'superseded', { valid_until: null, superseded_by: null }, { valid_until: stamp, superseded_by: resultId });
      ids.superseded.add(oldId);
    }
  }

  // One status per memory: created wins over updated, updated over merged.
  for (const id of ids.created) {
    ids.updated.delete(id);
    ids.merged.delete(id);
  }
  for (const id of ids.updated) ids.merged.delete(id);
  const memories = (set: Set<string>) => [...set].map((id) => state.get(id)!);
  const applied: AppliedJob = {
    job_id: jobId,
    at: stamp,
    created: [...ids.created],
    merged: [...ids.merged],
    updated: [...ids.updated],
    superseded: [...ids.superseded],
  };
  return {
    changed,
    events,
    applied,
    result: {
      replayed: false,
      created: memories(ids.created),
      merged: memories(ids.merged),
      updated: memories(ids.updated),
      superseded: memories(ids.superseded),
    },
  };
}

/** The answer to a job that writes again: its first write's memories, as they are now (deleted ones left out). */
export function replayResult(applied: AppliedJob, current: Map<string, Memory>): WriteResult {
  const pick = (ids: string[]) => ids.map((id) => current.get(id)).filter((m): m is Memory => m !== undefined);
  return {
    replayed: true,
    created: pick(applied.created),
    merged: pick(applied.merged),
    updated: pick(applied.updated),
    superseded: pick(applied.superseded),
  };
}

/** Every id an applied job's record names. */
export function appliedIds(applied: AppliedJob): string[] {
  return [...new Set([...applied.created, ...applied.merged, ...applied.updated, ...applied.superseded])];
}
