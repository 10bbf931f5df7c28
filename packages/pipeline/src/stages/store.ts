import { memoryId, sumUsage, type LlmUsage } from '@mnemo/core';
import type { CandidateMemory, MemoryStore, MemoryToStore, MemoryWrite, WriteResult } from '@mnemo/store';
import { attributeNames, relate } from '../reconcile/offline-reconciler';
import { conversationTime } from './analyze';
import type {
  EmbeddedFact,
  FactToReconcile,
  PipelineInput,
  ReconcileCandidate,
  ReconcileDecision,
  Reconciler,
  StoreOutcome,
  UserLock,
} from '../types';

export interface StoreDeps {
  store: MemoryStore;
  reconciler: Reconciler;
  lock: UserLock;
  now: () => Date;
}

/** Nearest memories each fact is compared with, besides those stating the same attributes. */
const NEAREST = 5;
const SAME_ATTRIBUTE = 10;

const factRef = (index: number) => `fact:${index}`;

/** The job's facts as memories to store; a fact stated twice in the job is one item with both mentions. */
function toItems(input: PipelineInput, facts: EmbeddedFact[], now: Date): MemoryToStore[] {
  const { agent_id, thread_id, source } = input.conversation;
  // An imported 2023 conversation was observed in 2023, not today; a time in the future is not believed.
  const told = conversationTime(input);
  const observedAt = told && told < now.toISOString() ? told : now.toISOString();
  const byId = new Map<string, MemoryToStore>();
  for (const fact of facts) {
    const id = memoryId(input.userId, fact.text);
    const existing = byId.get(id);
    if (existing) {
      const mention = existing.memory.provenance[0]!;
      mention.message_ids = [...new Set([...mention.message_ids, ...fact.messageIds])];
      for (const key of fact.keys ?? []) {
        if (existing.memory.keys!.includes(key.text)) continue;
        existing.memory.keys!.push(key.text);
        existing.keyVectors!.push(key.vector);
      }
      continue;
    }
    // Checkpoints written before keys existed have none: the memory is then keyed by its wording alone.
    const keys = fact.keys ?? [];
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
        attributes: attributeNames(fact.text),
        provenance: [{ job_id: input.jobId, thread_id, agent_id, source, message_ids: fact.messageIds, seen_at: observedAt }],
        keys: keys.map((k) => k.text),
      },
      vector: fact.vector,
      keyVectors: keys.map((k) => k.vector),
      observedAt,
    });
  }
  return [...byId.values()];
}

/**
 * For each fact, the user's current memories nearest to it and those
 * stating the same attributes: one store call for the whole job.
 */
async function candidatesOf(store: MemoryStore, userId: string, items: MemoryToStore[]): Promise<ReconcileCandidate[][]> {
  const sets = await store.candidates(
    userId,
    items.map(({ memory, vector }) => ({ vector, text: memory.memory, attributes: memory.attributes, nearest: NEAREST, sameAttribute: SAME_ATTRIBUTE })),
  );
  return sets.map(({ nearest, sameAttribute }) => {
    const candidates = new Map<string, ReconcileCandidate>();
    const add = (m: CandidateMemory, distance: number | null) => {
      if (!candidates.has(m.id)) candidates.set(m.id, { ref: m.id, memory: m.memory, type: m.type, eventTime: m.event_time, distance });
    };
    for (const hit of nearest) add(hit.memory, hit.vector_distance);
    for (const m of sameAttribute) add(m, null);
    return [...candidates.values()];
  });
}

/** What a decision was made on: if it is unchanged under the lease, the decision still holds. */
function basisOf(candidates: ReconcileCandidate[][]): string {
  return JSON.stringify(candidates.map((list) => list.map((c) => [c.ref, c.memory, c.type, c.eventTime])));
}

const sameOccasion = (a: string | null, b: string | null) => !a || !b || a.slice(0, 10) === b.slice(0, 10);

/**
 * Holds any reconciler (a model included) to the rules: targets come from
 * the fact's own candidates, only lasting facts are closed, and a fact only
 * folds into a memory of its kind (an event into the same occasion).
 */
function guarded(decision: ReconcileDecision, fact: FactToReconcile): ReconcileDecision {
  const byRef = new Map(fact.candidates.map((c) => [c.ref, c]));
  const target = decision.target ? byRef.get(decision.target) : undefined;
  const foldable = target && target.type === fact.type && sameOccasion(target.eventTime, fact.eventTime);
  const supersedes = [...new Set(decision.supersedes)].filter((ref) => byRef.get(ref)?.type === 'semantic' && ref !== decision.target);
  return decision.action !== 'new' && foldable
    ? { action: decision.action, target: target.ref, supersedes }
    : { action: 'new', target: null, supersedes };
}

/**
 * Turns decisions into store writes. Facts of one job are also reconciled
 * with each other (offline rules): the same fact said twice in a
 * conversation is one write.
 */
function toWrites(items: MemoryToStore[], facts: FactToReconcile[], decisions: ReconcileDecision[]): MemoryWrite[] {
  const writes: MemoryWrite[] = [];
  /** The write each fact ended up in, and the refs of what it supersedes. */
  const writeOf: MemoryWrite[] = [];
  const supersedeRefs = new Map<MemoryWrite, string[]>();

  items.forEach((item, i) => {
    let decision = guarded(decisions[i]!, facts[i]!);
    if (decision.action === 'new' && i > 0) {
      const earlier: FactToReconcile = {
        ...facts[i]!,
        candidates: writeOf.map((w, j) => ({
          ref: factRef(j),
          memory: w.item.memory.memory,
          type: w.item.memory.type,
          eventTime: w.item.memory.event_time,
          distance: null,
        })),
      };
      const within = guarded(relate(earlier), earlier);
      decision = { ...within, supersedes: [...decision.supersedes, ...within.supersedes] };
    }
    const target = decision.target;
    let write: MemoryWrite;
    if (target?.startsWith('fact:')) {
      write = writeOf[Number(target.slice(5))]!;
      const mention = write.item.memory.provenance[0]!;
      const ids = [...new Set([...mention.message_ids, ...item.memory.provenance[0]!.message_ids])];
      const keys = [write.item, item].flatMap((it) => (it.memory.keys ?? []).map((text, k) => ({ text, vector: it.keyVectors?.[k] })));
      if (decision.action === 'refine') {
        write.item = item;
        if (write.action === 'merge') write.action = 'refine';
      }
      write.item.memory.provenance[0]!.message_ids = ids;
      const distinct = keys.filter((k, n) => keys.findIndex((o) => o.text === k.text) === n);
      write.item.memory.keys = distinct.map((k) => k.text);
      write.item.keyVectors = distinct.map((k) => k.vector!);
    } else {
      const action = decision.action === 'new' ? 'create' : decision.action === 'duplicate' ? 'merge' : 'refine';
      write = { action, item, ...(target ? { target } : {}) };
      writes.push(write);
    }
    writeOf.push(write);
    supersedeRefs.set(write, [...(supersedeRefs.get(write) ?? []), ...decision.supersedes]);
  });

  // A superseded earlier fact of the job is known by the memory its write ends in.
  const memoryOf = (w: MemoryWrite) => w.target ?? w.item.memory.id;
  for (const write of writes) {
    const refs = supersedeRefs.get(write) ?? [];
    const ids = refs.map((ref) => (ref.startsWith('fact:') ? memoryOf(writeOf[Number(ref.slice(5))]!) : ref));
    const own = memoryOf(write);
    const supersedes = [...new Set(ids)].filter((id) => id !== own);
    if (supersedes.length > 0) write.supersedes = supersedes;
  }
  return writes;
}

function outcome(result: WriteResult, llm: LlmUsage | null): StoreOutcome {
  const { replayed, created, merged, updated, superseded } = result;
  return { replayed, created, merged, updated, superseded, llm };
}

/**
 * Reconciles the job's facts with the user's memories and writes them:
 * a restated fact merges into its memory, a more specific one refines it,
 * a contradicting one closes it. Decisions and writes happen under the
 * user's lease, so parallel jobs of one user see each other's facts. A job
 * that has written before (a retry, a resubmission) writes nothing again.
 */
export async function storeFacts(input: PipelineInput, facts: EmbeddedFact[], deps: StoreDeps): Promise<StoreOutcome> {
  const { store, reconciler, lock } = deps;
  const { userId, jobId } = input;
  const items = toItems(input, facts, deps.now());
  if (items.length === 0 || (await store.appliedJob(userId, jobId))) {
    return outcome(await store.write(userId, jobId, [], deps.now()), null);
  }

  const gather = () => candidatesOf(store, userId, items);
  const toReconcile = (candidates: ReconcileCandidate[][]): FactToReconcile[] =>
    items.map(({ memory }, i) => ({ text: memory.memory, type: memory.type, eventTime: memory.event_time, candidates: candidates[i]! }));

  // A model call is slow: make it before taking the lease, and keep it if nothing changed meanwhile.
  let early: { basis: string; decisions: ReconcileDecision[] } | null = null;
  let llm: LlmUsage | null = null;
  if (reconciler.remote) {
    const candidates = await gather();
    const result = await reconciler.decide(toReconcile(candidates));
    early = { basis: basisOf(candidates), decisions: result.decisions };
    llm = sumUsage(llm, result.llm);
  }

  return lock.withLease(userId, async (lease) => {
    const candidates = await gather();
    const facts = toReconcile(candidates);
    let decisions = early?.basis === basisOf(candidates) ? early.decisions : null;
    if (!decisions) {
      const result = await reconciler.decide(facts);
      decisions = result.decisions;
      llm = sumUsage(llm, result.llm);
    }
    const written = await store.write(userId, jobId, toWrites(items, facts, decisions), deps.now(), lease);
    return outcome(written, llm);
  });
}
