import { loadConfig, memoryId } from '@mnemo/core';
import { createEmbedder, createSearcher, type Embedder } from '@mnemo/pipeline';
import { openMemoryStore, type MemoryWrite } from '@mnemo/store';
import { figure, peakRssMb, type BenchResult } from './harness';
import { apiKey, freePort, RUNS, start, withSetup } from './setup';

const TOTAL = 100_000;
const QUERIED = 10_000;
const USERS = 100;
const CLIENTS = 4;
const SECONDS = 8;
const IN_PROCESS_SECONDS = 4;
/** One API process per core: the embedded store's searches are synchronous, so one process uses one core. */
const API_PROCESSES = process.env.BENCH_API_PROCESSES ?? '2';

const ACTIVITIES = 'hiking,cooking Thai food,chess,playing the piano,tennis,gardening,roasting coffee,travel photography,writing Python,learning Rust,jazz,watercolour painting,reading novels,cycling,yoga,sailing,baking sourdough,bouldering,pottery,trail running'.split(',');
const PLACES = 'Oslo,Lisbon,Berlin,Tokyo,Lima,Cairo,Denver,Porto,Madrid,Seoul,Austin,Dublin'.split(',');
const PEOPLE = 'sister,brother,wife,husband,best friend,colleague,mother,father,cousin,neighbour'.split(',');
const NAMES = 'Anna,Ben,Chloe,Dev,Elena,Farid,Grace,Hugo,Ines,Jonas,Kenji,Lara'.split(',');
const JOBS = 'nurse,data engineer,teacher,architect,chef,product designer,accountant,physiotherapist'.split(',');
const EMPLOYERS = 'Spotify,a small bakery,the city hospital,Siemens,a design studio,the university,Shopify,a law firm'.split(',');

/** Picks from each list by successive "digits" of n, so distinct n give distinct picks. */
function pick(n: number, ...lists: readonly string[][]): string[] {
  return lists.map((list) => {
    const item = list[n % list.length]!;
    n = Math.floor(n / list.length);
    return item;
  });
}

const YEARS = Array.from({ length: 40 }, (_, k) => String(k + 1));

/**
 * The i-th memory of a user, as the offline extractor words them, with the
 * message it came from as its retrieval key. Distinct for every i below
 * QUERIED, so the seeded count is what it says.
 */
function seeded(u: number, i: number): { memory: string; key: string; categories: string[] } {
  // Five templates in turn; users start at different points of the lists.
  const n = Math.floor(i / 5) + u * 7;
  switch (i % 5) {
    case 0: {
      const [a, p, y] = pick(n, ACTIVITIES, PLACES, YEARS);
      return { memory: `User has enjoyed ${a} in ${p} for ${y} years`, key: `I've been into ${a} for about ${y} years now, mostly around ${p}`, categories: ['interests'] };
    }
    case 1: {
      const [a, who, name, p] = pick(n, ACTIVITIES, PEOPLE, NAMES, PLACES);
      return { memory: `User goes ${a} with their ${who} ${name} in ${p}`, key: `my ${who} ${name} and I usually do ${a} together when we're in ${p}`, categories: ['relationships', 'interests'] };
    }
    case 2: {
      const [job, employer, p, y] = pick(n, JOBS, EMPLOYERS, PLACES, YEARS);
      return { memory: `User worked as a ${job} at ${employer} in ${p} for ${y} years`, key: `I was a ${job} at ${employer} in ${p}, ${y} years in total`, categories: ['career'] };
    }
    case 3: {
      const [who, name, p, y] = pick(n, PEOPLE, NAMES, PLACES, YEARS);
      return { memory: `User's ${who} ${name} lives in ${p} and is ${Number(y) + 20} years old`, key: `${name}, my ${who}, is ${Number(y) + 20} and still lives in ${p}`, categories: ['relationships'] };
    }
    default: {
      const [p, a, y] = pick(n, PLACES, ACTIVITIES, YEARS);
      return { memory: `User plans a trip to ${p} for ${a} in ${1990 + Number(y)}`, key: `thinking of going to ${p} in ${1990 + Number(y)}, mainly for the ${a}`, categories: ['travel'] };
    }
  }
}

/** Questions a user of the service asks, and keyword queries an agent sends. */
const QUERIES = [
  'where does the user work?',
  'what does the user do for a living?',
  'does the user like hiking?',
  'who is the user\'s sister?',
  'hiking in Oslo',
  'trip to Lisbon',
  'what sports does the user play?',
  'where does the user\'s brother live?',
  'baking sourdough',
  'how long has the user been doing yoga?',
  'tennis with my best friend',
  'what does the user cook?',
];

async function seed(dir: string, embedder: Embedder): Promise<number> {
  const store = await openMemoryStore(loadConfig({ MNEMO_DATA_DIR: dir }), embedder);
  const now = new Date().toISOString();
  for (let u = 0; u < USERS; u++) {
    const user = `s${u}`;
    const count = u === 0 ? QUERIED : Math.floor((TOTAL - QUERIED) / (USERS - 1));
    for (let from = 0; from < count; from += 1_000) {
      const writes: MemoryWrite[] = [];
      for (let i = from; i < Math.min(count, from + 1_000); i++) {
        const { memory, key, categories } = seeded(u, i);
        const [vector, keyVector] = await embedder.embed([memory, key], 'document');
        writes.push({
          action: 'create',
          item: {
            memory: {
              id: memoryId(user, memory),
              user_id: user,
              memory,
              keys: [key],
              categories,
              type: 'semantic',
              event_time: null,
              agent_id: 'bench',
              thread_id: 'bench',
              source: 'bench',
              attributes: [],
              provenance: [{ job_id: `seed-${u}-${from}`, thread_id: 'bench', agent_id: 'bench', source: 'bench', message_ids: ['0'], seen_at: now }],
            },
            vector: vector!,
            keyVectors: [keyVector!],
          },
        });
      }
      await store.write(user, `seed-${u}-${from}`, writes, new Date());
    }
  }
  const seededCount = await store.count('s0');
  await store.close();
  return seededCount;
}

/** Calls `fn` back to back from `clients` loops for `seconds`; the latencies, sorted. */
async function closedLoop(clients: number, seconds: number, fn: (q: string) => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  const until = Date.now() + seconds * 1000;
  let q = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < until) {
        const query = QUERIES[q++ % QUERIES.length]!;
        const t = performance.now();
        await fn(query);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return latencies.sort((a, b) => a - b);
}

const at = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

/**
 * 4. POST /v1/memories/search over HTTP, 4 clients in a closed loop, against
 * the same searches called in process by one caller (the searcher the route
 * runs, on its own store connection) in the same run.
 */
export async function search(): Promise<BenchResult> {
  return withSetup('search', async ({ prefix, dir, started }) => {
    const env = { MNEMO_DATA_DIR: dir, MNEMO_QUEUE_PREFIX: prefix };
    const embedder = await createEmbedder(loadConfig(env));
    const t0 = performance.now();
    const count = await seed(dir, embedder);
    const seedSeconds = (performance.now() - t0) / 1000;

    const port = await freePort();
    const apiEnv = { ...env, PORT: String(port), HOST: '127.0.0.1', MNEMO_RATE_LIMIT_SEARCH: '0', MNEMO_API_PROCESSES: API_PROCESSES };
    const api = await start('api', apiEnv, started);
    const base = `http://127.0.0.1:${port}`;
    const key = await apiKey('s0', apiEnv);
    const store = await openMemoryStore(loadConfig(env), embedder);
    const searcher = createSearcher({ store, embedder });
    const http = { p50: [] as number[], p95: [] as number[], rps: [] as number[] };
    const local = { p50: [] as number[], p95: [] as number[] };
    try {
      for (let run = 0; run < RUNS; run++) {
        const overHttp = await closedLoop(CLIENTS, SECONDS, async (query) => {
          const res = await fetch(`${base}/v1/memories/search`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': key },
            body: JSON.stringify({ query, limit: 10 }),
          });
          await res.arrayBuffer();
          if (!res.ok) throw new Error(`search answered ${res.status}`);
        });
        http.p50.push(at(overHttp, 0.5));
        http.p95.push(at(overHttp, 0.95));
        http.rps.push(overHttp.length / SECONDS);
        const inProcess = await closedLoop(1, IN_PROCESS_SECONDS, async (query) => {
          await searcher('s0', { query, limit: 10 });
        });
        local.p50.push(at(inProcess, 0.5));
        local.p95.push(at(inProcess, 0.95));
      }
    } finally {
      await store.close();
    }
    return {
      bench: 'search',
      figures: [
        figure(`HTTP p50, ${CLIENTS} clients`, 'ms', http.p50),
        figure(`HTTP p95, ${CLIENTS} clients`, 'ms', http.p95, { value: 15, better: 'lower' }),
        figure('in-process p50, 1 caller', 'ms', local.p50),
        figure('in-process p95, 1 caller', 'ms', local.p95),
        figure('HTTP p95 / in-process p95', '×', http.p95.map((p, i) => p / local.p95[i]!), { value: 3, better: 'lower' }),
        figure(`throughput, ${CLIENTS} clients`, 'req/s', http.rps),
        figure('API peak RSS', 'MB', [peakRssMb(api.child.pid!) ?? NaN]),
      ],
      notes: [
        `embedded store, MNEMO_API_PROCESSES=${API_PROCESSES}, ${embedder.name} embedder (${embedder.dimension}-d); ${count} memories for the queried user, ${TOTAL} in all, each with one retrieval key (seeded in ${seedSeconds.toFixed(0)} s); limit 10; ${QUERIES.length} queries in turn`,
      ],
    };
  });
}
