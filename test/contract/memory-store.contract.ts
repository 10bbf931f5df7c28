import { memoryId, type MemoryType } from '@mnemo/core';
import { LocalEmbedder } from '@mnemo/pipeline';
import type { MemoryStore, MemoryToStore, MemoryWrite } from '@mnemo/store';

export const CONTRACT_DIMENSION = 64;
const embedder = new LocalEmbedder(CONTRACT_DIMENSION);

export interface Seed {
  text: string;
  categories?: string[];
  type?: MemoryType;
  agent_id?: string;
  thread_id?: string;
  job?: string;
  attributes?: string[];
  /** Retrieval keys: the source messages' text. */
  keys?: string[];
  event_time?: string;
}

export function toStore(userId: string, seed: Seed): MemoryToStore {
  return {
    memory: {
      id: memoryId(userId, seed.text),
      user_id: userId,
      memory: seed.text,
      categories: seed.categories ?? ['identity'],
      type: seed.type ?? 'semantic',
      event_time: seed.event_time ?? null,
      attributes: seed.attributes ?? [],
      agent_id: seed.agent_id ?? 'agent-1',
      thread_id: seed.thread_id ?? 'thread-1',
      source: 'chat',
      provenance: [
        {
          job_id: seed.job ?? 'job-1',
          thread_id: seed.thread_id ?? 'thread-1',
          agent_id: seed.agent_id ?? 'agent-1',
          source: 'chat',
          message_ids: ['0'],
          seen_at: '2024-03-20T10:00:00.000Z',
        },
      ],
      keys: seed.keys ?? [],
    },
    vector: embedder.embedOne(seed.text),
    keyVectors: (seed.keys ?? []).map((k) => embedder.embedOne(k)),
  };
}

/** Writes that create these facts, as one job. */
export function creating(userId: string, job: string, seeds: Seed[]): MemoryWrite[] {
  return seeds.map((s) => ({ action: 'create', item: toStore(userId, { ...s, job }) }));
}

const at = (minute: number) => new Date(Date.UTC(2024, 2, 20, 10, minute));

/**
 * The behaviour every MemoryStore adapter must have. `open` gives a fresh,
 * empty store for each test; `close` disposes of it.
 */
export function describeMemoryStoreContract(
  name: string,
  open: () => Promise<{ store: MemoryStore; close: () => Promise<void> }>,
): void {
  describe(`MemoryStore contract: ${name}`, () => {
    let store: MemoryStore;
    let close: () => Promise<void>;

    beforeEach(async () => {
      ({ store, close } = await open());
    });
    afterEach(async () => {
      await close();
    });

    /** One job's writes: every item carries the job in its provenance. */
    const write = (userId: string, job: string, writes: (Omit<MemoryWrite, 'item'> & { seed: Seed })[], minute: number) =>
      store.write(
        userId,
        job,
        writes.map(({ seed: s, ...w }) => ({ ...w, item: toStore(userId, { ...s, job }) })),
        at(minute),
      );
    const create = (userId: string, job: string, seeds: Seed[], minute: number) =>
      write(userId, job, seeds.map((s) => ({ action: 'create' as const, seed: s })), minute);
    /** One job per memory, a minute apart. */
    const seed = async (userId: string, seeds: Seed[], minute = 0) => {
      for (const [i, s] of seeds.entries()) await create(userId, s.job ?? `seed-${minute + i}`, [s], minute + i);
    };
    const idOf = (userId: string, text: string) => memoryId(userId, text);

    it('finds a memory by a detail only its source message holds; keys gather over mentions and go with the memory', async () => {
      const text = 'User is stoked for their game next month';
      await create('alice', 'job-1', [{ text, keys: ["It's Seattle, I'm stoked for my game there next month!"] }], 0);
      await seed('alice', [{ text: 'User lives in Denver' }, { text: 'User plays the cello' }], 1);
      await create('bob', 'job-b', [{ text: 'User visited Seattle', keys: ['I visited Seattle'] }], 5);

      const query = 'Seattle';
      const hits = await store.search('alice', { vector: embedder.embedOne(query), text: query, limit: 3 });
      expect(hits[0]!.memory.memory).toBe(text);
      expect(hits[0]!.lexical).toBeGreaterThan(0);
      expect(hits.every((h) => h.memory.user_id === 'alice')).toBe(true);

      // Stated again from another message: the memory is keyed by both.
      await create('alice', 'job-2', [{ text, keys: ['Flying out for the Seattle game on the 14th'] }], 6);
      const [memory] = (await store.list('alice', { page: 1, pageSize: 10 })).items.filter((m) => m.memory === text);
      expect(memory!.keys).toEqual(["It's Seattle, I'm stoked for my game there next month!", 'Flying out for the Seattle game on the 14th']);

      await store.delete('alice', [memory!.id]);
      const after = await store.search('alice', { vector: embedder.embedOne(query), text: query, limit: 3 });
      expect(after.map((h) => h.memory.memory)).not.toContain(text);
      expect(after.every((h) => h.lexical === 0)).toBe(true);
    });

    it('creates, merges a fact seen again, and treats the same job writing again as a replay', async () => {
      const first = await create('alice', 'job-1', [{ text: 'User lives in Oslo' }], 0);
      expect(first).toMatchObject({ replayed: false, merged: [], updated: [], superseded: [] });
      expect(first.created).toMatchObject([{ mentions: 1, memory: 'User lives in Oslo', user_id: 'alice', valid_until: null, superseded_by: null }]);
      const replay = await create('alice', 'job-1', [{ text: 'User lives in Oslo' }], 1);
      expect(replay).toMatchObject({ replayed: true, created: [{ id: first.created[0]!.id, mentions: 1 }], merged: [] });
      expect(await store.appliedJob('alice', 'job-1')).toMatchObject({ job_id: 'job-1', created: [first.created[0]!.id] });
      expect(await store.appliedJob('bob', 'job-1')).toBeNull();

      const again = await create('alice', 'job-2', [{ text: 'User lives in Oslo', thread_id: 'thread-2' }], 2);
      expect(again.created).toEqual([]);
      expect(again.merged).toMatchObject([
        { mentions: 2, last_seen_at: at(2).toISOString(), updated_at: at(0).toISOString(), created_at: at(0).toISOString() },
      ]);
      expect(again.merged[0]!.provenance.map((p) => [p.job_id, p.thread_id])).toEqual([['job-1', 'thread-1'], ['job-2', 'thread-2']]);
      const stored = await store.get('alice', first.created[0]!.id);
      expect(stored).toMatchObject({ mentions: 2, last_seen_at: at(2).toISOString() });
      expect(stored!.provenance).toHaveLength(2);
      expect(await store.count('alice')).toBe(1);
    });

    it('merges a paraphrase into its target and refines a target with more detail, keeping ids', async () => {
      await seed('alice', [{ text: 'User works at Google' }, { text: 'User loves hiking' }]);
      const google = idOf('alice', 'User works at Google');
      const hiking = idOf('alice', 'User loves hiking');
      const result = await write('alice', 'job-9', [
        { action: 'merge', target: hiking, seed: { text: 'User really enjoys hiking' } },
        { action: 'refine', target: google, seed: { text: 'User is a senior ML engineer at Google', categories: ['career'], attributes: ['employer'] } },
      ], 10);
      expect(result.created).toEqual([]);
      expect(result.merged).toMatchObject([{ id: hiking, memory: 'User loves hiking', mentions: 2 }]);
      expect(result.updated).toMatchObject([
        { id: google, memory: 'User is a senior ML engineer at Google', categories: ['career'], attributes: ['employer'], mentions: 2, updated_at: at(10).toISOString() },
      ]);
      const hits = await store.search('alice', { text: 'senior engineer', vector: embedder.embedOne('senior ML engineer'), limit: 1 });
      expect(hits[0]!.memory.id).toBe(google);
      expect(await store.count('alice')).toBe(2);
      const history = await store.history('alice', google);
      expect(history.map((e) => [e.event, e.job_id])).toEqual([['created', 'seed-0'], ['updated', 'job-9']]);
      expect(history[1]).toMatchObject({ before: { memory: 'User works at Google' }, after: { memory: 'User is a senior ML engineer at Google' } });
      expect((await store.history('alice', hiking))[1]).toMatchObject({ event: 'merged', after: { mentions: 2, wording: 'User really enjoys hiking' } });
    });

    it('supersedes a contradicted memory: hidden from default reads, kept for history and include_superseded', async () => {
      await seed('alice', [{ text: 'User lives in Paris', attributes: ['home_city'] }, { text: 'User likes tea' }]);
      const paris = idOf('alice', 'User lives in Paris');
      const berlin = idOf('alice', 'User moved to Berlin');
      const result = await write('alice', 'job-move', [
        { action: 'create', supersedes: [paris], seed: { text: 'User moved to Berlin', attributes: ['home_city'] } },
      ], 10);
      expect(result.created.map((m) => m.id)).toEqual([berlin]);
      expect(result.superseded).toMatchObject([{ id: paris, valid_until: at(10).toISOString(), superseded_by: berlin }]);

      const listed = async (include_superseded?: boolean) =>
        (await store.list('alice', { page: 1, pageSize: 10, filter: { include_superseded } })).items.map((m) => m.memory).sort();
      expect(await listed()).toEqual(['User likes tea', 'User moved to Berlin']);
      expect(await listed(true)).toEqual(['User likes tea', 'User lives in Paris', 'User moved to Berlin']);
      const search = (include_superseded?: boolean) =>
        store.search('alice', { text: 'Paris', vector: embedder.embedOne('Paris'), limit: 10, filter: { include_superseded } });
      expect((await search()).map((h) => h.memory.id)).not.toContain(paris);
      expect((await search(true)).map((h) => h.memory.id)).toContain(paris);
      expect(await store.count('alice')).toBe(2);
      expect((await store.stats('alice')).total).toBe(2);
      expect(await store.get('alice', paris)).toMatchObject({ superseded_by: berlin });
      expect((await store.list('alice', { page: 1, pageSize: 10, filter: { attributes: ['home_city'] } })).items.map((m) => m.id)).toEqual([berlin]);
      expect((await store.history('alice', paris)).map((e) => [e.event, e.job_id])).toEqual([['created', 'seed-0'], ['superseded', 'job-move']]);

      // Moving back: the old memory is true again, and the one it had been replaced by is closed.
      const back = await write('alice', 'job-back', [
        { action: 'create', supersedes: [berlin], seed: { text: 'User lives in Paris', attributes: ['home_city'] } },
      ], 20);
      expect(back.updated).toMatchObject([{ id: paris, valid_until: null, superseded_by: null, mentions: 2 }]);
      expect(back.superseded).toMatchObject([{ id: berlin, superseded_by: paris }]);
      expect((await store.history('alice', paris)).map((e) => e.event)).toEqual(['created', 'superseded', 'restored']);
    });

    it('stores a fact in its own right when the memory it would merge into was deleted meanwhile', async () => {
      await seed('alice', [{ text: 'User loves hiking' }]);
      const hiking = idOf('alice', 'User loves hiking');
      await store.delete('alice', [hiking], at(5));
      const result = await write('alice', 'job-late', [{ action: 'merge', target: hiking, seed: { text: 'User enjoys hiking' } }], 6);
      expect(result.created.map((m) => m.memory)).toEqual(['User enjoys hiking']);
      expect(await store.count('alice')).toBe(1);
    });

    it('refuses the write when the lease is no longer held', async () => {
      const lease = { token: 1, assertHeld: async () => Promise.reject(new Error('lease lost')) };
      await expect(store.write('alice', 'job-1', [{ action: 'create', item: toStore('alice', { text: 'x' }) }], at(0), lease)).rejects.toThrow('lease lost');
      expect(await store.count('alice')).toBe(0);
      expect(await store.appliedJob('alice', 'job-1')).toBeNull();
    });

    it('gets a memory only for its owner', async () => {
      await seed('alice', [{ text: 'User lives in Oslo' }]);
      const id = memoryId('alice', 'User lives in Oslo');
      expect(await store.get('alice', id)).toMatchObject({ id, memory: 'User lives in Oslo', categories: ['identity'] });
      expect(await store.get('bob', id)).toBeNull();
    });

    it('lists newest first with stable pages that add up to the total', async () => {
      await seed('alice', Array.from({ length: 7 }, (_, i) => ({ text: `User fact number ${i}` })));
      await seed('bob', [{ text: 'User is bob' }]);
      const pages = await Promise.all([1, 2, 3].map((page) => store.list('alice', { page, pageSize: 3 })));
      expect(pages.map((p) => p.total)).toEqual([7, 7, 7]);
      const texts = pages.flatMap((p) => p.items.map((m) => m.memory));
      expect(texts).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => `User fact number ${i}`));
      expect((await store.list('alice', { page: 4, pageSize: 3 })).items).toEqual([]);
    });

    it('pages through memories that share a creation time without losing or repeating any', async () => {
      // One job's memories all carry the job's time, so page boundaries fall among ties.
      await create('alice', 'job-1', Array.from({ length: 5 }, (_, i) => ({ text: `User fact number ${i}` })), 0);
      await create('alice', 'job-2', [{ text: 'User is newer' }], 1);
      const pages = await Promise.all([1, 2, 3, 4].map((page) => store.list('alice', { page, pageSize: 2 })));
      const ids = pages.flatMap((p) => p.items.map((m) => m.id));
      expect(ids).toHaveLength(6);
      expect(new Set(ids).size).toBe(6);
      expect(ids[0]).toBe(idOf('alice', 'User is newer'));
      expect(pages[3]!.items).toEqual([]);
    });

    it('filters lists by category (any of), type, agent, thread and creation time', async () => {
      await seed('alice', [
        { text: 'User works at Google', categories: ['career'], thread_id: 't-work' },
        { text: 'User plays chess', categories: ['interests'], agent_id: 'agent-2' },
        { text: 'User flies to Rome next week', categories: ['travel'], type: 'episodic' },
        { text: 'User earns well as an engineer', categories: ['career', 'finance'] },
      ]);
      const texts = async (filter: Parameters<MemoryStore['list']>[1]['filter']) =>
        (await store.list('alice', { page: 1, pageSize: 10, filter })).items.map((m) => m.memory).sort();
      expect(await texts({ categories: ['finance', 'interests'] })).toEqual(['User earns well as an engineer', 'User plays chess']);
      expect(await texts({ type: 'episodic' })).toEqual(['User flies to Rome next week']);
      expect(await texts({ agent_id: 'agent-2' })).toEqual(['User plays chess']);
      expect(await texts({ thread_id: 't-work' })).toEqual(['User works at Google']);
      expect(await texts({ created_after: at(1).toISOString(), created_before: at(2).toISOString() })).toEqual([
        'User flies to Rome next week',
        'User plays chess',
      ]);
      expect(await store.count('alice', { categories: ['career'] })).toBe(2);
    });

    it('searches by meaning and by exact words, best first, within the user', async () => {
      await seed('alice', [
        { text: 'User works as a senior engineer at Stripe', categories: ['career'] },
        { text: 'User enjoys hiking in the Alps', categories: ['interests'] },
        { text: 'User has a cat named Miso', categories: ['relationships'] },
        { text: 'User is allergic to peanuts', categories: ['health'] },
      ]);
      await seed('bob', [{ text: 'User works at Stripe too', categories: ['career'] }]);
      const search = (text: string, extra: Partial<Parameters<MemoryStore['search']>[1]> = {}) =>
        store.search('alice', { text, vector: embedder.embedOne(text), limit: 10, ...extra });

      const stripe = await search('Stripe');
      expect(stripe[0]!.memory.memory).toBe('User works as a senior engineer at Stripe');
      expect(stripe.every((h) => h.memory.user_id === 'alice')).toBe(true);
      expect((await search('Miso'))[0]!.memory.memory).toBe('User has a cat named Miso');
      expect((await search('what does the user do for hiking'))[0]!.memory.memory).toBe('User enjoys hiking in the Alps');

      const hits = await search('engineer job');
      expect(hits.every((h) => h.vector_distance >= 0 && h.vector_distance <= 1)).toBe(true);
      expect(hits.map((h) => h.score)).toEqual([...hits.map((h) => h.score)].sort((a, b) => b - a));
      expect(await search('Stripe', { limit: 2 })).toHaveLength(2);
      const filtered = await search('Stripe', { filter: { categories: ['health'] } });
      expect(filtered.map((h) => h.memory.memory)).toEqual(['User is allergic to peanuts']);
      expect(await store.search('carol', { text: 'Stripe', vector: embedder.embedOne('Stripe'), limit: 10 })).toEqual([]);
    });

    it("gives reconciliation's candidates for a job's facts at once: what search without keys and an attributes list give each, current memories only", async () => {
      await seed('alice', [
        { text: 'User lives in Denver', attributes: ['home_city'] },
        { text: 'User lives in Boulder', attributes: ['home_city'] },
        { text: 'User works as a nurse at St Marys', attributes: ['job_title', 'employer'] },
        { text: 'User enjoys hiking in the Alps' },
        { text: 'User has a cat named Miso', keys: ['my cat Miso lives in Denver with me'] },
      ]);
      await seed('bob', [{ text: 'User lives in Denver too', attributes: ['home_city'] }], 10);
      await write('alice', 'job-close', [{ action: 'create', seed: { text: 'User lives in Oslo', attributes: ['home_city'] }, supersedes: [idOf('alice', 'User lives in Boulder')] }], 20);
      const facts = [
        { text: 'User moved to Denver', attributes: ['home_city'] },
        { text: 'User likes hiking', attributes: [] },
        { text: 'User is a doctor at St Marys', attributes: ['job_title', 'employer'] },
      ];
      const queries = facts.map((f) => ({ vector: embedder.embedOne(f.text), text: f.text, attributes: f.attributes, nearest: 3, sameAttribute: 2 }));
      const sets = await store.candidates('alice', queries);

      const pick = ({ id, memory, type, event_time }: { id: string; memory: string; type: MemoryType; event_time: string | null }) => ({ id, memory, type, event_time });
      for (const [i, q] of queries.entries()) {
        const hits = await store.search('alice', { vector: q.vector, text: q.text, limit: q.nearest, keys: false });
        const listed = q.attributes.length ? (await store.list('alice', { page: 1, pageSize: q.sameAttribute, filter: { attributes: q.attributes } })).items : [];
        expect(sets[i]!.nearest).toEqual(hits.map((h) => ({ memory: pick(h.memory), vector_distance: h.vector_distance })));
        expect(sets[i]!.sameAttribute).toEqual(listed.map(pick));
      }
      const all = sets.flatMap((s) => [...s.nearest.map((n) => n.memory.memory), ...s.sameAttribute.map((m) => m.memory)]);
      expect(all).not.toContain('User lives in Boulder');
      expect(all).not.toContain('User lives in Denver too');
      expect(sets[0]!.sameAttribute.map((m) => m.memory)).toEqual(['User lives in Oslo', 'User lives in Denver']);
      expect(sets[1]!.nearest[0]!.memory.memory).toBe('User enjoys hiking in the Alps');
      expect(await store.candidates('carol', queries)).toEqual(queries.map(() => ({ nearest: [], sameAttribute: [] })));
    });

    it('updates text (re-embedded), categories and type; search follows the new text', async () => {
      await seed('alice', [{ text: 'User lives in Oslo' }, { text: 'User likes tea' }]);
      const id = memoryId('alice', 'User lives in Oslo');
      const text = 'User lives in Bergen';
      const updated = await store.update('alice', id, { memory: text, vector: embedder.embedOne(text), categories: ['identity', 'travel'], type: 'episodic' }, at(30));
      expect(updated).toMatchObject({ id, memory: text, categories: ['identity', 'travel'], type: 'episodic', updated_at: at(30).toISOString() });
      const hits = await store.search('alice', { text: 'Bergen', vector: embedder.embedOne('Bergen'), limit: 1 });
      expect(hits[0]!.memory.id).toBe(id);
      expect(await store.update('bob', id, { type: 'semantic' }, at(31))).toBeNull();
      expect((await store.get('alice', id))!.type).toBe('episodic');
    });

    it('dates a memory by when its conversation took place, not when it was imported', async () => {
      const text = 'User lives in Porto';
      const item = (job: string, observedAt: string) => ({ ...toStore('alice', { text, job }), observedAt });
      const first = await store.write('alice', 'old-chat', [{ action: 'create', item: item('old-chat', '2023-02-01T09:00:00.000Z') }], at(0));
      expect(first.created[0]).toMatchObject({ created_at: '2023-02-01T09:00:00.000Z', last_seen_at: '2023-02-01T09:00:00.000Z', updated_at: at(0).toISOString() });
      // Stated again in 2024, then an even older chat imported: the latest mention stays the 2024 one.
      await store.write('alice', 'newer-chat', [{ action: 'create', item: item('newer-chat', '2024-01-05T09:00:00.000Z') }], at(1));
      await store.write('alice', 'oldest-chat', [{ action: 'create', item: item('oldest-chat', '2022-06-01T09:00:00.000Z') }], at(2));
      const memory = await store.get('alice', memoryId('alice', text));
      expect(memory).toMatchObject({ mentions: 3, created_at: '2023-02-01T09:00:00.000Z', last_seen_at: '2024-01-05T09:00:00.000Z' });
      expect((await store.stats('alice')).first_memory).toBe('2023-02-01T09:00:00.000Z');
      // A time after the write is not believed.
      const future = await store.write('alice', 'future', [{ action: 'create', item: { ...toStore('alice', { text: 'User plays the oboe', job: 'future' }), observedAt: '2999-01-01T00:00:00.000Z' } }], at(3));
      expect(future.created[0]!.created_at).toBe(at(3).toISOString());
    });

    it('an older conversation imported late does not close a newer fact: it is stored as the past', async () => {
      const paris = { ...toStore('alice', { text: 'User lives in Paris', job: 'live' }), observedAt: '2024-01-01T00:00:00.000Z' };
      await store.write('alice', 'live', [{ action: 'create', item: paris }], at(0));
      const lisbon = { ...toStore('alice', { text: 'User lives in Lisbon', job: 'import' }), observedAt: '2023-03-01T00:00:00.000Z' };
      const result = await store.write('alice', 'import', [{ action: 'create', item: lisbon, supersedes: [paris.memory.id] }], at(1));
      expect(await store.get('alice', paris.memory.id)).toMatchObject({ valid_until: null, superseded_by: null });
      expect(await store.get('alice', lisbon.memory.id)).toMatchObject({ valid_until: '2024-01-01T00:00:00.000Z', superseded_by: paris.memory.id });
      expect(result.superseded.map((m) => m.id)).toEqual([lisbon.memory.id]);
      expect((await store.list('alice', { page: 1, pageSize: 10 })).items.map((m) => m.memory)).toEqual(['User lives in Paris']);
    });

    it('clears the event time when an edit makes a memory lasting, and keeps it otherwise', async () => {
      const when = '2024-06-14T00:00:00.000Z';
      await seed('alice', [{ text: 'User flies to Rome on 14 June 2024', type: 'episodic', event_time: when }]);
      const id = memoryId('alice', 'User flies to Rome on 14 June 2024');
      expect(await store.update('alice', id, { categories: ['travel'] }, at(30))).toMatchObject({ type: 'episodic', event_time: when });
      expect(await store.update('alice', id, { type: 'semantic' }, at(31))).toMatchObject({ type: 'semantic', event_time: null });
      expect(await store.get('alice', id)).toMatchObject({ type: 'semantic', event_time: null });
    });

    it('edits a superseded memory too, as get shows it', async () => {
      await seed('alice', [{ text: 'User lives in Paris', attributes: ['home_city'] }]);
      const paris = idOf('alice', 'User lives in Paris');
      await write('alice', 'job-move', [{ action: 'create', supersedes: [paris], seed: { text: 'User moved to Berlin', attributes: ['home_city'] } }], 10);
      expect(await store.update('alice', paris, { categories: ['travel'] }, at(11))).toMatchObject({ categories: ['travel'] });
      expect(await store.get('alice', paris)).toMatchObject({ categories: ['travel'], superseded_by: idOf('alice', 'User moved to Berlin') });
      expect(await store.update('bob', paris, { categories: ['work'] }, at(12))).toBeNull();
    });

    it('deletes a superseded memory too, and reports and records only what it deleted', async () => {
      await seed('alice', [{ text: 'User lives in Paris', attributes: ['home_city'] }]);
      const paris = idOf('alice', 'User lives in Paris');
      await write('alice', 'job-move', [{ action: 'create', supersedes: [paris], seed: { text: 'User moved to Berlin', attributes: ['home_city'] } }], 10);
      expect(await store.delete('alice', [paris], at(11))).toEqual([paris]);
      expect(await store.get('alice', paris)).toBeNull();
      expect((await store.list('alice', { page: 1, pageSize: 10, filter: { include_superseded: true } })).items.map((m) => m.id)).not.toContain(paris);
      expect((await store.history('alice', paris)).filter((e) => e.event === 'deleted')).toHaveLength(1);
      // Deleted already: nothing to report, nothing more in the history.
      expect(await store.delete('alice', [paris], at(12))).toEqual([]);
      expect((await store.history('alice', paris)).filter((e) => e.event === 'deleted')).toHaveLength(1);
    });

    it("deletes a user's memories and reports which existed; another user's ids are untouched", async () => {
      await seed('alice', [{ text: 'User lives in Oslo' }, { text: 'User likes tea' }]);
      await seed('bob', [{ text: 'User likes coffee' }]);
      const oslo = memoryId('alice', 'User lives in Oslo');
      const bobs = memoryId('bob', 'User likes coffee');
      expect(await store.delete('alice', [oslo, bobs, memoryId('alice', 'nothing')])).toEqual([oslo]);
      expect(await store.get('alice', oslo)).toBeNull();
      expect(await store.get('bob', bobs)).not.toBeNull();
      const hits = await store.search('alice', { text: 'Oslo', vector: embedder.embedOne('Oslo'), limit: 10 });
      expect(hits.map((h) => h.memory.id)).not.toContain(oslo);
      expect(await store.count('alice')).toBe(1);
    });

    it('counts by category and type, with the date range', async () => {
      await seed('alice', [
        { text: 'User works at Google', categories: ['career'] },
        { text: 'User earns well', categories: ['career', 'finance'] },
        { text: 'User flies to Rome', categories: ['travel'], type: 'episodic' },
      ]);
      expect(await store.stats('alice')).toEqual({
        total: 3,
        by_category: { career: 2, finance: 1, travel: 1 },
        by_type: { semantic: 2, episodic: 1 },
        first_memory: at(0).toISOString(),
        last_memory: at(2).toISOString(),
      });
      expect(await store.stats('nobody')).toEqual({
        total: 0,
        by_category: {},
        by_type: { semantic: 0, episodic: 0 },
        first_memory: null,
        last_memory: null,
      });
    });

    it('keeps the history of every create, merge, update and delete, only for the owner', async () => {
      await create('alice', 'job-1', [{ text: 'User lives in Oslo' }], 0);
      const id = memoryId('alice', 'User lives in Oslo');
      await create('alice', 'job-1', [{ text: 'User lives in Oslo' }], 1); // replay: no entry
      await create('alice', 'job-2', [{ text: 'User lives in Oslo', thread_id: 'thread-2' }], 2);
      await store.update('alice', id, { type: 'episodic' }, at(3), 'key-1');
      await store.delete('alice', [id], at(4), 'key-1');
      const history = await store.history('alice', id);
      expect(history.map((e) => [e.event, e.at, e.job_id, e.actor])).toEqual([
        ['created', at(0).toISOString(), 'job-1', null],
        ['merged', at(2).toISOString(), 'job-2', null],
        ['updated', at(3).toISOString(), null, 'key-1'],
        ['deleted', at(4).toISOString(), null, 'key-1'],
      ]);
      expect(history[0]!.after).toMatchObject({ memory: 'User lives in Oslo', type: 'semantic' });
      expect(history[1]!.after).toMatchObject({ mentions: 2, thread_id: 'thread-2' });
      expect(history[2]).toMatchObject({ before: { type: 'semantic' }, after: { type: 'episodic' } });
      expect(history[3]).toMatchObject({ before: { memory: 'User lives in Oslo' }, after: null });
      expect(await store.history('bob', id)).toEqual([]);
    });

    it("erases a user: every memory, its vectors, its history and the jobs' records go; another user's stay (issue 13)", async () => {
      await seed('alice', [{ text: 'User lives in Oslo', job: 'job-a1' }, { text: 'User likes tea', job: 'job-a2' }]);
      await seed('bob', [{ text: 'User likes coffee', job: 'job-b1' }]);
      const oslo = memoryId('alice', 'User lives in Oslo');
      const tea = memoryId('alice', 'User likes tea');
      await store.delete('alice', [tea], at(5), 'key-1'); // a deleted memory's history goes too
      expect(await store.eraseUser('alice')).toEqual({ memories: 1 });
      expect(await store.count('alice')).toBe(0);
      expect(await store.get('alice', oslo)).toBeNull();
      expect(await store.history('alice', oslo)).toEqual([]);
      expect(await store.history('alice', tea)).toEqual([]);
      expect(await store.appliedJob('alice', 'job-a1')).toBeNull();
      const hits = await store.search('alice', { text: 'Oslo', vector: embedder.embedOne('User lives in Oslo'), limit: 10 });
      expect(hits).toEqual([]);
      expect(await store.count('bob')).toBe(1);
      expect(await store.history('bob', memoryId('bob', 'User likes coffee'))).toHaveLength(1);
      expect(await store.appliedJob('bob', 'job-b1')).not.toBeNull();
      // The same conversation after erasure is new evidence: it creates the memory again.
      await seed('alice', [{ text: 'User lives in Oslo', job: 'job-a1' }], 6);
      expect(await store.count('alice')).toBe(1);
    });

    it("scrubs the texts from one memory's history, keeping what happened and when (issue 13)", async () => {
      await create('alice', 'job-1', [{ text: 'User lives in Oslo' }], 0);
      await create('alice', 'job-2', [{ text: 'User likes tea' }], 1);
      const oslo = memoryId('alice', 'User lives in Oslo');
      await store.update('alice', oslo, { memory: 'User lives in Bergen', vector: embedder.embedOne('User lives in Bergen') }, at(2), 'key-1');
      await store.delete('alice', [oslo], at(3), 'key-1');
      expect(await store.scrubHistory('bob', oslo)).toBe(0);
      expect(await store.scrubHistory('alice', oslo)).toBe(3);
      const history = await store.history('alice', oslo);
      expect(history.map((e) => [e.event, e.at, e.job_id, e.actor, e.before, e.after])).toEqual([
        ['created', at(0).toISOString(), 'job-1', null, null, null],
        ['updated', at(2).toISOString(), null, 'key-1', null, null],
        ['deleted', at(3).toISOString(), null, 'key-1', null, null],
      ]);
      expect(JSON.stringify(history)).not.toMatch(/Oslo|Bergen/);
      // Other memories keep their history.
      expect((await store.history('alice', memoryId('alice', 'User likes tea')))[0]!.after).toMatchObject({ memory: 'User likes tea' });
    });

    it('refuses a vector of the wrong size', async () => {
      const bad = { ...toStore('alice', { text: 'x' }), vector: [1, 0, 0] };
      await expect(store.write('alice', 'job-1', [{ action: 'create', item: bad }], at(0))).rejects.toThrow(/dimensions/);
    });
  });
}
