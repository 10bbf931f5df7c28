import request from 'supertest';
import { isMnemoError, loadConfig } from '@mnemo/core';
import { createEmbedder } from '@mnemo/pipeline';
import { SqliteMemoryStore } from '@mnemo/store';
import { FakeEmbeddings } from '../support/fake-embeddings';
import { MEMSYNC_EXAMPLE, startStack, USER_KEY } from '../support/stack';
import { makeTempDir, removeTempDir } from '../support/temp-dir';

describe('hosted embedders through the OpenAI client against a loopback provider', () => {
  const fake = new FakeEmbeddings(48);
  beforeAll(() => fake.start());
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.requests.length = 0;
    fake.script.length = 0;
  });

  const voyage = (extra: Record<string, string> = {}) =>
    createEmbedder(loadConfig({ VOYAGE_API_KEY: 'vk-test', VOYAGE_BASE_URL: fake.baseURL, MNEMO_EMBEDDINGS_MAX_RETRIES: '2', ...extra }));

  it('Voyage: embeds documents and queries with their input_type, the model, the key and the output dimension', async () => {
    const embedder = await voyage({ VOYAGE_OUTPUT_DIMENSION: '32', VOYAGE_MODEL: 'voyage-3.5-lite' });
    expect(embedder.name).toBe('voyage');
    expect(embedder.dimension).toBe(32);
    const [doc] = await embedder.embed(['User lives in Oslo'], 'document');
    await embedder.embed(['where does the user live'], 'query');
    expect(doc).toHaveLength(32);
    expect(fake.requests.map((r) => [r.path, r.body.model, r.body.input_type, r.body.output_dimension])).toEqual([
      ['/v1/embeddings', 'voyage-3.5-lite', 'document', 32],
      ['/v1/embeddings', 'voyage-3.5-lite', 'query', 32],
    ]);
    expect(fake.requests[0]!.headers.authorization).toBe('Bearer vk-test');
  });

  it('OpenAI-compatible: learns the vector size from the provider, batches within the limit, keeps input order', async () => {
    const embedder = await createEmbedder(
      loadConfig({ MNEMO_EMBEDDINGS_URL: `${fake.baseURL}/embeddings`, MNEMO_EMBEDDINGS_MODEL: 'nomic-embed-text', MNEMO_EMBEDDINGS_BATCH_SIZE: '2' }),
    );
    expect(embedder.name).toBe('openai');
    expect(embedder.dimension).toBe(48);
    const texts = ['alpha one', 'beta two', 'gamma three', 'delta four', 'epsilon five'];
    const vectors = await embedder.embed(texts, 'document');
    const batches = fake.requests.slice(1).map((r) => r.body.input);
    expect(batches).toEqual([['alpha one', 'beta two'], ['gamma three', 'delta four'], ['epsilon five']]);
    expect(fake.requests.every((r) => r.body.input_type === undefined)).toBe(true);
    const [again] = await embedder.embed(['gamma three'], 'document');
    expect(vectors[2]).toEqual(again);
  });

  it('retries a 429 (after its retry-after) and a 500, then succeeds', async () => {
    const embedder = await voyage({ VOYAGE_OUTPUT_DIMENSION: '48' });
    fake.script.push({ status: 429, headers: { 'retry-after': '0' } }, { status: 500 });
    const [vector] = await embedder.embed(['User likes tea'], 'document');
    expect(vector).toHaveLength(48);
    expect(fake.requests).toHaveLength(3);
  });

  it('fails at once, as a final error with the provider message, on a 400', async () => {
    const embedder = await voyage({ VOYAGE_OUTPUT_DIMENSION: '48' });
    fake.script.push({ status: 400, body: { error: { message: 'input too long for voyage-3.5' } } });
    const err = await embedder.embed(['x'], 'document').catch((e: unknown) => e);
    expect(isMnemoError(err)).toBe(true);
    expect((err as Error).message).toMatch(/voyage embeddings refused the request \(400\).*input too long/);
    expect(fake.requests).toHaveLength(1);
  });

  it('refuses vectors of another size than the store expects', async () => {
    const embedder = await voyage({ VOYAGE_OUTPUT_DIMENSION: '48' });
    fake.script.push({ status: 200, dimension: 16 });
    await expect(embedder.embed(['x'], 'document')).rejects.toThrow('voyage embeddings returned 16-dimensional vectors, but the store expects 48');
  });

  it('a store built for another embedder size refuses to open', async () => {
    const dir = makeTempDir('embedder-switch');
    try {
      await (SqliteMemoryStore.open(dir, 256, 'hashing')).close();
      const embedder = await voyage();
      expect(() => SqliteMemoryStore.open(dir, embedder.dimension, embedder.name)).toThrow(
        /built by the hashing embedder \(256-dimensional vectors\), but the embedder in use is voyage \(48-dimensional\)\. Run "mnemo reembed"/,
      );
    } finally {
      removeTempDir(dir);
    }
  });

  it('names the missing settings', () => {
    expect(() => loadConfig({ MNEMO_EMBEDDER: 'voyage' })).toThrow(/VOYAGE_API_KEY: is required when MNEMO_EMBEDDER=voyage/);
    expect(() => loadConfig({ MNEMO_EMBEDDER: 'openai' })).toThrow(/MNEMO_EMBEDDINGS_URL: is required[\s\S]*MNEMO_EMBEDDINGS_MODEL: is required/);
  });

  it('serves the whole API: ingest embeds documents, search embeds the query', async () => {
    const stack = await startStack({ VOYAGE_API_KEY: 'vk-test', VOYAGE_BASE_URL: fake.baseURL, VOYAGE_OUTPUT_DIMENSION: '48' });
    try {
      await stack.startWorker();
      const stored = await request(stack.app).post('/v1/memories').set('X-API-Key', USER_KEY).send(MEMSYNC_EXAMPLE);
      expect(stored.status).toBe(200);
      expect(stored.body.memories_created).toBeGreaterThanOrEqual(2);
      const found = await request(stack.app).post('/v1/memories/search').set('X-API-Key', USER_KEY).send({ query: 'promoted at Google' });
      expect(found.body.memories[0].memory).toMatch(/promoted/);
      const types = fake.requests.map((r) => r.body.input_type);
      expect(types).toContain('document');
      expect(types[types.length - 1]).toBe('query');
      // One batched call per job for all its facts and their retrieval keys (the user messages they came from).
      const documentCalls = fake.requests.filter((r) => r.body.input_type === 'document');
      expect(documentCalls).toHaveLength(1);
      const inputs: string[] = documentCalls[0]!.body.input;
      const userMessages = MEMSYNC_EXAMPLE.messages.filter((m) => m.role === 'user').map((m) => m.content);
      expect(inputs.filter((t) => !userMessages.some((m) => t.endsWith(m)))).toHaveLength(stored.body.memories_created);
      expect(inputs.length).toBeGreaterThan(stored.body.memories_created);
    } finally {
      await stack.close();
    }
  });
});
