import { loadConfig, type IngestJobResult } from '@mnemo/core';
import { createRedis, IngestQueue } from '@mnemo/queue';
import { SqliteMemoryStore } from '@mnemo/store';
import { assertBuilt, startProcess, type MnemoProcess } from '../support/processes';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis';
import { makeTempDir, removeTempDir } from '../support/temp-dir';

jest.setTimeout(180_000);

/** Each fact said in several ways; the keyword tells which fact a stored memory is. */
const FACTS = {
  Lisbon: ["I live in Lisbon.", "I'm based in Lisbon.", 'I reside in Lisbon.', 'These days I live in Lisbon.'],
  Stripe: ['I work at Stripe.', 'I work for Stripe.', "I'm employed at Stripe.", "I'm a backend engineer at Stripe."],
  hiking: ['I love hiking.', 'I really enjoy hiking.', 'I adore hiking.'],
  Max: ['I have a dog named Max.', 'I have a dog called Max.', "I've got a dog named Max."],
  vegetarian: ["I'm vegetarian.", 'I am a vegetarian.', "I'm a strict vegetarian."],
  Dana: ['My name is Dana.', 'Call me Dana.', "I'm called Dana."],
  guitar: ['I play the guitar.', 'I play guitar.', 'I love playing guitar.'],
};
type FactKey = keyof typeof FACTS;
const KEYS = Object.keys(FACTS) as FactKey[];
const USERS = 5;
const CONVERSATIONS = 200;

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('reconciliation under concurrency: two worker processes, 20 jobs each at once', () => {
  const prefix = uniquePrefix('reconcile');
  const dataDir = makeTempDir('reconcile');
  const env = { REDIS_URL: TEST_REDIS_URL, MNEMO_DATA_DIR: dataDir, MNEMO_QUEUE_PREFIX: prefix, MNEMO_WORKER_CONCURRENCY: '20' };
  const workers: MnemoProcess[] = [];
  const redis = createRedis(TEST_REDIS_URL, 'command', 'test-reconcile');
  const events = createRedis(TEST_REDIS_URL, 'blocking', 'test-reconcile-events');
  const ingest = new IngestQueue(loadConfig(env), redis, events);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGTERM')));
    await ingest.close();
    redis.disconnect();
    events.disconnect();
    await deletePrefix(prefix);
    removeTempDir(dataDir);
  });

  it('stores one memory per distinct fact per user, with every mention counted', async () => {
    assertBuilt();
    for (let i = 0; i < 2; i++) {
      const worker = startProcess('worker', env);
      workers.push(worker);
      await worker.waitForOutput(/worker ready/);
    }

    // 200 conversations, 40 per user, each stating 2–3 facts in any of their wordings,
    // sometimes the same fact twice in one conversation.
    const next = random(20261124);
    const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
    const mentions = new Map<string, number>();
    const conversations = Array.from({ length: CONVERSATIONS }, (_, i) => {
      const user = `user-${i % USERS}`;
      const facts = [...KEYS].sort(() => next() - 0.5).slice(0, 2 + Math.floor(next() * 2));
      const messages = facts.flatMap((fact) => {
        mentions.set(`${user}/${fact}`, (mentions.get(`${user}/${fact}`) ?? 0) + 1);
        const said = [{ role: 'user' as const, content: pick(FACTS[fact]) }, { role: 'assistant' as const, content: 'Good to know.' }];
        if (next() < 0.15) said.push({ role: 'user', content: pick(FACTS[fact]) });
        return said;
      });
      return { user, conversation: { messages, agent_id: 'agent', thread_id: `thread-${i}`, source: 'chat' } };
    });

    const jobs = await Promise.all(conversations.map(({ user, conversation }) => ingest.enqueue(user, conversation)));
    const deadline = Date.now() + 150_000;
    for (;;) {
      const counts = await ingest.queue.getJobCounts('completed', 'failed');
      if (counts.completed! + counts.failed! === CONVERSATIONS) break;
      if (Date.now() > deadline) throw new Error(`jobs did not finish: ${JSON.stringify(counts)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const results = await Promise.all(jobs.map(async (j) => (await ingest.queue.getJob(j.id!))!));
    expect(results.filter((j) => j.failedReason).map((j) => j.failedReason)).toEqual([]);
    await Promise.all(workers.map((w) => w.stop('SIGTERM')));

    const store = SqliteMemoryStore.open(dataDir);
    try {
      let memories = 0;
      for (let u = 0; u < USERS; u++) {
        const user = `user-${u}`;
        const { items } = await store.list(user, { page: 1, pageSize: 100, filter: { include_superseded: true } });
        const said = KEYS.filter((fact) => mentions.has(`${user}/${fact}`));
        // One memory per fact: each memory names exactly one fact, and each fact has exactly one memory.
        const byFact = items.map((m) => KEYS.filter((fact) => m.memory.includes(fact)));
        expect(byFact.every((facts) => facts.length === 1)).toBe(true);
        expect(byFact.map((facts) => facts[0]).sort()).toEqual([...said].sort());
        expect(items.every((m) => m.valid_until === null)).toBe(true);
        // Every conversation that stated a fact is one mention of its memory, no more, no fewer.
        for (const memory of items) {
          const fact = byFact[items.indexOf(memory)]![0]!;
          expect([memory.memory, memory.mentions]).toEqual([memory.memory, mentions.get(`${user}/${fact}`)]);
        }
        memories += items.length;
      }
      // The job results count the same: each memory created once, every other statement a merge (or refinement).
      const returned = results.map((j) => j.returnvalue as IngestJobResult);
      expect(returned.reduce((n, r) => n + r.memories_created, 0)).toBe(memories);
      const statements = [...mentions.values()].reduce((a, b) => a + b, 0);
      expect(returned.reduce((n, r) => n + r.memories_created + r.memories_merged + r.memories_updated, 0)).toBe(statements);
      expect(returned.every((r) => r.memories_superseded === 0)).toBe(true);
    } finally {
      await store.close();
    }
  });
});
