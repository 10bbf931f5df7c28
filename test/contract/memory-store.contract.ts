import { memoryId, type MemoryType } from '@mnemo/core';
import { LocalEmbedder } from '@mnemo/pipeline';
import type { MemoryStore, MemoryToStore } from '@mnemo/store';

export const CONTRACT_DIMENSION = 64;
const embedder = new LocalEmbedder(CONTRACT_DIMENSION);

export interface Seed {
  text: string;
  categories?: string[];
  type?: MemoryType;
  agent_id?: string;
  thread_id?: string;
  job?: string;
}

export function toStore(userId: string, seed: Seed): MemoryToStore {
  return {
    memory: {
      id: memoryId(userId, seed.text),
      user_id: userId,
      memory: seed.text,
      categories: seed.categories ?? ['identity'],
      type: seed.type ?? 'semantic',
      event_time: null,
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
    },
    vector: embedder.embedOne(seed.text),
  };
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

    const seed = async (userId: string, seeds: Seed[], minute = 0) => {
      for (const [i, s] of seeds.entries()) await store.upsert(userId, [toStore(userId, s)], at(minute + i));
    };

    it('creates, touches a fact seen again, and treats the same job writing again as a replay', async () => {
      const [created] = await store.upsert('alice', [toStore('alice', { text: 'User lives in Oslo' })], at(0));
      expect(created).toMatchObject({ status: 'created', memory: { mentions: 1, memory: 'User lives in Oslo', user_id: 'alice' } });
      const [replay] = await store.upsert('alice', [toStore('alice', { text: 'User lives in Oslo' })], at(1));
      expect(replay).toMatchObject({ status: 'created', memory: { mentions: 1 } });
      const [touched] = await store.upsert('alice', [toStore('alice', { text: 'User lives in Oslo', job: 'job-2', thread_id: 'thread-2' })], at(2));
      expect(touched).toMatchObject({
        status: 'touched',
        memory: { mentions: 2, last_seen_at: at(2).toISOString(), updated_at: at(0).toISOString(), created_at: at(0).toISOString() },
      });
      expect(touched!.memory.provenance.map((p) => [p.job_id, p.thread_id])).toEqual([['job-1', 'thread-1'], ['job-2', 'thread-2']]);
      const stored = await store.get('alice', touched!.memory.id);
      expect(stored).toMatchObject({ mentions: 2, last_seen_at: at(2).toISOString() });
      expect(stored!.provenance).toHaveLength(2);
      expect(await store.count('alice')).toBe(1);
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

    it('keeps the history of every create, mention, update and delete, only for the owner', async () => {
      await seed('alice', [{ text: 'User lives in Oslo' }]);
      const id = memoryId('alice', 'User lives in Oslo');
      await store.upsert('alice', [toStore('alice', { text: 'User lives in Oslo' })], at(1)); // replay: no entry
      await store.upsert('alice', [toStore('alice', { text: 'User lives in Oslo', job: 'job-2', thread_id: 'thread-2' })], at(2));
      await store.update('alice', id, { type: 'episodic' }, at(3), 'key-1');
      await store.delete('alice', [id], at(4), 'key-1');
      const history = await store.history('alice', id);
      expect(history.map((e) => [e.event, e.at, e.job_id, e.actor])).toEqual([
        ['created', at(0).toISOString(), 'job-1', null],
        ['mentioned', at(2).toISOString(), 'job-2', null],
        ['updated', at(3).toISOString(), null, 'key-1'],
        ['deleted', at(4).toISOString(), null, 'key-1'],
      ]);
      expect(history[0]!.after).toMatchObject({ memory: 'User lives in Oslo', type: 'semantic' });
      expect(history[1]!.after).toMatchObject({ mentions: 2, thread_id: 'thread-2' });
      expect(history[2]).toMatchObject({ before: { type: 'semantic' }, after: { type: 'episodic' } });
      expect(history[3]).toMatchObject({ before: { memory: 'User lives in Oslo' }, after: null });
      expect(await store.history('bob', id)).toEqual([]);
    });

    it('refuses a vector of the wrong size', async () => {
      const bad = { ...toStore('alice', { text: 'x' }), vector: [1, 0, 0] };
      await expect(store.upsert('alice', [bad], at(0))).rejects.toThrow(/dimensions/);
    });
  });
}
