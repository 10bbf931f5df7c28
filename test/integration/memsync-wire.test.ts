import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { OTHER_KEY, startStack, USER_KEY, type Stack } from '../support/stack';

/**
 * MemSync's documented wire shapes, checked field by field against the
 * README's own examples (read from README.md, so the README cannot drift
 * from what the API does).
 */
const README = readFileSync(join(__dirname, '../../README.md'), 'utf8');

/** The JSON after `-d '` in the first curl example that follows `marker`, with the shell's '\'' undone. */
function curlBody(marker: string): Record<string, unknown> {
  const from = README.indexOf(marker);
  if (from < 0) throw new Error(`README has no "${marker}"`);
  const block = README.slice(from, README.indexOf('\n```\n', README.indexOf('```sh', from)));
  const match = /-d '((?:[^']|'\\'')*)'/.exec(block);
  if (!match) throw new Error(`no curl -d body after "${marker}"`);
  return JSON.parse(match[1]!.replaceAll("'\\''", "'")) as Record<string, unknown>;
}

const STORE_EXAMPLE = curlBody('store the MemSync example conversation');
const SEARCH_EXAMPLE = curlBody('**Search**');
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

interface WireMemory {
  vector_distance: number;
  raw_vector_distance: number;
  score: number;
  rerank_score?: number;
}

/** Every field MemSync documents on a search result, with its type. */
const memsyncSearchResult = {
  id: expect.any(String),
  memory: expect.any(String),
  categories: expect.arrayContaining([expect.any(String)]),
  type: expect.stringMatching(/^(semantic|episodic)$/),
  vector_distance: expect.any(Number),
  source: expect.any(String),
  created_at: expect.stringMatching(ISO),
  updated_at: expect.stringMatching(ISO),
  agent_id: expect.any(String),
  thread_id: expect.any(String),
};

const ascending = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1]! <= x);
const descending = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1]! >= x);

/** The X-RateLimit-* triple says what the IETF RateLimit headers say; the reset is a Unix time in seconds. */
function expectRateLimitHeadersAgree(res: request.Response, sentAtMs: number, receivedAtMs: number): void {
  const policy = /^"(\w+)";q=(\d+);w=60$/.exec(res.headers['ratelimit-policy']);
  const state = /^"(\w+)";r=(\d+);t=(\d+)$/.exec(res.headers.ratelimit);
  expect(policy).not.toBeNull();
  expect(state).not.toBeNull();
  expect(res.headers['x-ratelimit-limit']).toBe(policy![2]);
  expect(res.headers['x-ratelimit-remaining']).toBe(state![2]);
  const reset = Number(res.headers['x-ratelimit-reset']);
  expect(Number.isInteger(reset)).toBe(true);
  const answeredAt = reset - Number(state![3]);
  expect(answeredAt).toBeGreaterThanOrEqual(Math.floor(sentAtMs / 1000));
  expect(answeredAt).toBeLessThanOrEqual(Math.floor(receivedAtMs / 1000));
}

describe('MemSync wire format, from the README examples', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    await stack.startWorker();
  });
  afterAll(() => stack.close());

  const search = (body: object, key = USER_KEY) => request(stack.app).post('/v1/memories/search').set('X-API-Key', key).send(body);

  it('reads the examples from the README', () => {
    expect(STORE_EXAMPLE).toMatchObject({ agent_id: 'career-advisor-bot', thread_id: 'conversation-2024-001', source: 'chat' });
    expect((STORE_EXAMPLE.messages as { content: string }[])[0]!.content).toContain("I'll be working");
    expect(SEARCH_EXAMPLE).toEqual({ query: 'Where does the user work?', limit: 3 });
  });

  it('gives a new user a search with the bio by default: an empty string, not an error', async () => {
    const res = await search(SEARCH_EXAMPLE, OTHER_KEY);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user_bio: '', memories: [] });
    expect(await stack.profileCache.get('bob')).toMatchObject({ user_bio: '', stats: { total_memories: 0 } });
    expect((await search({ ...SEARCH_EXAMPLE, include_bio: false }, OTHER_KEY)).body.user_bio).toBeNull();
  });

  it('answers the store example with every MemSync field (sync 200)', async () => {
    const res = await request(stack.app).post('/v1/memories').set('X-API-Key', USER_KEY).send(STORE_EXAMPLE);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      success: true,
      memories_created: expect.any(Number),
      processing_time: expect.stringMatching(/^\d+(\.\d+)?s$/),
      categories_detected: expect.arrayContaining(['career']),
    });
    expect(res.body.memories_created).toBeGreaterThanOrEqual(2);
    expect(res.body.categories_detected.every((c: unknown) => typeof c === 'string')).toBe(true);
  });

  it('answers the store example asynchronously with 202 and a job to follow', async () => {
    const res = await request(stack.app).post('/v1/memories?async=true').set('X-API-Key', OTHER_KEY).send(STORE_EXAMPLE);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      success: true,
      job_id: expect.any(String),
      status: expect.stringMatching(/^(waiting|active|completed)$/),
      status_url: `/v1/jobs/${encodeURIComponent(res.body.job_id)}`,
    });
    const job = await request(stack.app).get(res.body.status_url).set('X-API-Key', OTHER_KEY);
    expect(job.status).toBe(200);
    expect(job.body.job_id).toBe(res.body.job_id);
  });

  it('answers the search example with every MemSync field, the bio by default, ordered with vector_distance ascending', async () => {
    const sentAt = Date.now();
    const res = await search(SEARCH_EXAMPLE);
    const receivedAt = Date.now();
    expect(res.status).toBe(200);
    expect(typeof res.body.user_bio).toBe('string');
    expect(res.body.user_bio).toMatch(/Google/);
    const memories = res.body.memories as WireMemory[];
    expect(memories.length).toBeGreaterThan(0);
    expect(memories.length).toBeLessThanOrEqual(3);
    for (const m of memories) {
      expect(m).toMatchObject(memsyncSearchResult);
      expect(m).not.toHaveProperty('rerank_score');
      expect(m.vector_distance).toBeGreaterThanOrEqual(0);
      expect(m.vector_distance).toBeLessThanOrEqual(1);
      expect(m.vector_distance).toBeGreaterThanOrEqual(m.raw_vector_distance);
    }
    expect(ascending(memories.map((m) => m.vector_distance))).toBe(true);
    expect(descending(memories.map((m) => m.score))).toBe(true);
    expectRateLimitHeadersAgree(res, sentAt, receivedAt);
  });

  it('keeps vector_distance ascending in the hybrid order over every result, whatever the raw distances', async () => {
    const res = await search({ query: 'Google team engineers', limit: 100 });
    const memories = res.body.memories as WireMemory[];
    expect(memories.length).toBeGreaterThanOrEqual(2);
    // The case this guards: here a memory farther by its wording outranks a closer one (lexical and source-message matches).
    expect(ascending(memories.map((m) => m.raw_vector_distance))).toBe(false);
    expect(descending(memories.map((m) => m.score))).toBe(true);
    expect(ascending(memories.map((m) => m.vector_distance))).toBe(true);
    // Each reported distance is the largest raw one ranked at or above it.
    let floor = 0;
    for (const m of memories) {
      floor = Math.max(floor, m.raw_vector_distance);
      expect(m.vector_distance).toBe(floor);
    }
  });

  it('orders by rerank_score (0–1, on every result) with rerank: true', async () => {
    const res = await search({ ...SEARCH_EXAMPLE, rerank: true });
    expect(res.status).toBe(200);
    const memories = res.body.memories as WireMemory[];
    expect(memories.length).toBeGreaterThan(0);
    for (const m of memories) {
      expect(m).toMatchObject({ ...memsyncSearchResult, rerank_score: expect.any(Number) });
      expect(m.rerank_score).toBeGreaterThanOrEqual(0);
      expect(m.rerank_score).toBeLessThanOrEqual(1);
      expect(m.vector_distance).toBe(m.raw_vector_distance);
    }
    expect(descending(memories.map((m) => m.rerank_score!))).toBe(true);
  });

  it('answers the profile example with the user and the bio', async () => {
    const sentAt = Date.now();
    const res = await request(stack.app).get('/v1/users/profile').set('X-API-Key', USER_KEY);
    const receivedAt = Date.now();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      user_id: 'alice',
      user_bio: expect.stringMatching(/Google/),
      bio_source: expect.stringMatching(/^(model|assembled)$/),
      profiles: { career: { count: expect.any(Number), top_memories: expect.arrayContaining([expect.objectContaining({ memory: expect.any(String) })]) } },
      stats: { total_memories: expect.any(Number), by_category: expect.any(Object), by_type: expect.any(Object) },
    });
    expect(res.body.stats.total_memories).toBeGreaterThanOrEqual(2);
    expectRateLimitHeadersAgree(res, sentAt, receivedAt);
  });
});
