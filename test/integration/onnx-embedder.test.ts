import fs from 'node:fs';
import path from 'node:path';
import { memoryId } from '@mnemo/core';
import { OnnxEmbedder, type OnnxEmbedderOptions } from '@mnemo/pipeline';
import { SqliteMemoryStore } from '@mnemo/store';
import { FakeModelHub } from '../support/fake-model-hub';
import { assertBuilt, ROOT } from '../support/processes';
import { makeTempDir, removeTempDir } from '../support/temp-dir';
import { buildTinyEmbeddingModel, type TinyModel } from '../support/tiny-embedding-model';

// Loading a model starts a thread and an ONNX session: seconds on a busy machine.
jest.setTimeout(60_000);

const root = makeTempDir('onnx-embedder');
afterAll(() => removeTempDir(root));

const options = (over: Partial<OnnxEmbedderOptions>): OnnxEmbedderOptions => ({
  model: 'unused/unused',
  dtype: 'fp32',
  pooling: 'auto',
  modelsDir: path.join(root, 'models'),
  // Nothing listens on port 9: any attempt to fetch fails at once.
  hubUrl: 'http://127.0.0.1:9/',
  downloads: false,
  batchSize: 16,
  queryPrefix: '',
  documentPrefix: '',
  ...over,
});

/** What the tiny model's tokenizer makes of a text: [CLS], the words, [SEP]. */
const tokens = (text: string) => ['[CLS]', ...text.toLowerCase().split(/\s+/), '[SEP]'];
const meanOf = (model: TinyModel, text: string) => {
  const rows = tokens(text).map((t) => model.row(t));
  return rows[0]!.map((_, d) => rows.reduce((sum, r) => sum + r[d]!, 0) / rows.length);
};
const unit = (v: number[]) => {
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
};
const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0) / (Math.hypot(...a) * Math.hypot(...b));
const expectClose = (actual: number[][], expected: number[][]) => {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((row, i) => row.forEach((x, d) => expect(x).toBeCloseTo(expected[i]![d]!, 5)));
};

beforeAll(() => assertBuilt());

describe('onnx embedder on a model built by the test', () => {
  const texts = ['User works at Google as a senior engineer', 'user has a dog', 'where is the user employed'];

  it('mean-pools and normalises as the model says, takes the vector size from it, and batches with padding masked out', async () => {
    const model = buildTinyEmbeddingModel(path.join(root, 'mean', 'mnemo-tiny'), { pooling: 'mean', normalize: true });
    // Batches of two: the longer text pads the shorter, which the attention mask must keep out of the mean.
    const embedder = await OnnxEmbedder.create(options({ modelPath: model.dir, batchSize: 2 }));
    try {
      expect(embedder.name).toBe('onnx:mnemo-tiny');
      expect(embedder.dimension).toBe(model.hiddenSize);
      expect(embedder.pooling).toEqual({ pooling: 'mean', normalize: true, source: 'model' });
      const vectors = await embedder.embed(texts, 'document');
      expectClose(vectors, texts.map((t) => unit(meanOf(model, t))));
      // The model's topics survive pooling: the question about work is nearer the job than the dog.
      expect(cosine(vectors[2]!, vectors[0]!)).toBeGreaterThan(cosine(vectors[2]!, vectors[1]!) + 0.2);
    } finally {
      await embedder.close();
    }
  });

  it('takes the [CLS] vector, unnormalised, for a model that pools with cls and lists no Normalize module', async () => {
    const model = buildTinyEmbeddingModel(path.join(root, 'cls', 'mnemo-tiny-cls'), { pooling: 'cls', normalize: false });
    const embedder = await OnnxEmbedder.create(options({ modelPath: model.dir }));
    try {
      expect(embedder.pooling).toEqual({ pooling: 'cls', normalize: false, source: 'model' });
      expectClose(await embedder.embed(texts.slice(0, 2), 'document'), [model.row('[CLS]'), model.row('[CLS]')]);
    } finally {
      await embedder.close();
    }
  });

  it('mean-pools and normalises a model with no sentence-transformers files, and MNEMO_EMBEDDING_POOLING overrides the mode', async () => {
    const model = buildTinyEmbeddingModel(path.join(root, 'bare', 'mnemo-tiny-bare'), { pooling: 'none' });
    const bare = await OnnxEmbedder.create(options({ modelPath: model.dir }));
    const overridden = await OnnxEmbedder.create(options({ modelPath: model.dir, pooling: 'cls' }));
    try {
      expect(bare.pooling).toEqual({ pooling: 'mean', normalize: true, source: 'default' });
      expectClose(await bare.embed([texts[0]!], 'document'), [unit(meanOf(model, texts[0]!))]);
      expect(overridden.pooling).toEqual({ pooling: 'cls', normalize: true, source: 'setting' });
      expectClose(await overridden.embed([texts[0]!], 'document'), [unit(model.row('[CLS]'))]);
    } finally {
      await Promise.all([bare.close(), overridden.close()]);
    }
  });

  it('puts the configured prefixes before queries and documents', async () => {
    const model = buildTinyEmbeddingModel(path.join(root, 'prefix', 'mnemo-tiny'), { pooling: 'mean', normalize: true });
    const embedder = await OnnxEmbedder.create(options({ modelPath: model.dir, queryPrefix: 'dog dog ', documentPrefix: 'trip ' }));
    try {
      const [query] = await embedder.embed(['user'], 'query');
      const [document] = await embedder.embed(['user'], 'document');
      expectClose([query!, document!], [unit(meanOf(model, 'dog dog user')), unit(meanOf(model, 'trip user'))]);
    } finally {
      await embedder.close();
    }
  });

  it('starts a new worker thread after its thread dies; what was in flight fails rather than hangs', async () => {
    const model = buildTinyEmbeddingModel(path.join(root, 'restart', 'mnemo-tiny'), { pooling: 'mean', normalize: true });
    const embedder = await OnnxEmbedder.create(options({ modelPath: model.dir }));
    try {
      const before = await embedder.embed([texts[0]!], 'document');
      const thread = (embedder as unknown as { worker: import('node:worker_threads').Worker }).worker;
      const inFlight = embedder.embed([texts[1]!], 'document');
      await thread.terminate();
      await expect(inFlight).rejects.toThrow(/worker exited/);
      expect(await embedder.embed([texts[0]!], 'document')).toEqual(before);
    } finally {
      await embedder.close();
    }
  });

  it('stores and finds memories by meaning through the SQLite store', async () => {
    const model = buildTinyEmbeddingModel(path.join(root, 'store', 'mnemo-tiny'), { pooling: 'mean', normalize: true });
    const embedder = await OnnxEmbedder.create(options({ modelPath: model.dir }));
    const dataDir = path.join(root, 'store-data');
    const store = SqliteMemoryStore.open(dataDir, embedder.dimension, embedder.name);
    try {
      const facts = ['User works at Google as a senior engineer', 'User has a dog named susie', 'User is allergic to eggs', 'User has a trip to lisbon'];
      const vectors = await embedder.embed(facts, 'document');
      await store.write(
        'alice',
        'job-1',
        facts.map((memory, i) => ({
          action: 'create' as const,
          item: {
            memory: {
              id: memoryId('alice', `fact-${i}`),
              user_id: 'alice',
              memory,
              categories: ['identity'],
              type: 'semantic' as const,
              event_time: null,
              attributes: [],
              agent_id: 'agent-1',
              thread_id: 'thread-1',
              source: 'chat',
              provenance: [{ job_id: 'job-1', thread_id: 'thread-1', agent_id: 'agent-1', source: 'chat', message_ids: ['0'], seen_at: '2026-12-01T10:00:00.000Z' }],
              keys: [],
            },
            vector: vectors[i]!,
            keyVectors: [],
          },
        })),
        new Date(),
      );
      // No word of the question is in the memory it should find: only the vectors can connect them.
      const nearest = async (question: string) => {
        const [vector] = await embedder.embed([question], 'query');
        const hits = await store.search('alice', { vector: vector!, text: question, limit: 4 });
        return [...hits].sort((a, b) => a.vector_distance - b.vector_distance)[0]?.memory.memory;
      };
      expect(await nearest('where is the user employed')).toBe('User works at Google as a senior engineer');
      expect(await nearest('what pet does the user have')).toBe('User has a dog named susie');
      expect(await nearest('what food does the user eat')).toBe('User is allergic to eggs');
    } finally {
      await store.close();
      await embedder.close();
    }
  });
});

describe('onnx runtime install', () => {
  it('stays offline-safe: the install script that fetches GPU binaries is not allowed, and the CPU binary ships in the package', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { allowScripts: Record<string, boolean> };
    expect(manifest.allowScripts['onnxruntime-node']).toBe(false);
    const runtime = path.dirname(require.resolve('onnxruntime-node/package.json', { paths: [path.join(ROOT, 'packages/pipeline')] }));
    expect(fs.existsSync(path.join(runtime, 'bin/napi-v6', process.platform, process.arch, 'onnxruntime_binding.node'))).toBe(true);
  });
});

describe('onnx embedder: where the model comes from', () => {
  const hub = new FakeModelHub();
  beforeAll(async () => {
    buildTinyEmbeddingModel(path.join(root, 'hub', 'tiny'), { pooling: 'cls', normalize: true });
    buildTinyEmbeddingModel(path.join(root, 'hub', 'bare'), { pooling: 'none' });
    hub.add('mnemo/tiny', path.join(root, 'hub', 'tiny'));
    hub.add('mnemo/bare', path.join(root, 'hub', 'bare'));
    await hub.start();
  });
  afterAll(() => hub.stop());

  it('fetches a Hub model into the models directory once, then loads it from there with the Hub gone', async () => {
    const modelsDir = path.join(root, 'fetched');
    const progress: number[] = [];
    const first = await OnnxEmbedder.create(options({ model: 'mnemo/tiny', modelsDir, hubUrl: hub.hubUrl, downloads: true, onProgress: (loaded) => progress.push(loaded) }));
    const vector = await first.embed(['user works at google'], 'document');
    await first.close();
    expect(first.name).toBe('onnx:mnemo/tiny');
    expect(first.pooling).toEqual({ pooling: 'cls', normalize: true, source: 'model' });
    expect(progress.length).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(modelsDir, 'mnemo/tiny/onnx/model.onnx'))).toBe(true);

    await hub.stop();
    try {
      // Downloads off, the Hub unreachable: the cached files alone, embedding exactly as before.
      const again = await OnnxEmbedder.create(options({ model: 'mnemo/tiny', modelsDir, hubUrl: hub.hubUrl, downloads: false }));
      expect(again.pooling).toEqual(first.pooling);
      expect(await again.embed(['user works at google'], 'document')).toEqual(vector);
      await again.close();
    } finally {
      await hub.start();
    }
  });

  it('records that a Hub model has no pooling files, so later starts pool the same way offline', async () => {
    const modelsDir = path.join(root, 'fetched-bare');
    const first = await OnnxEmbedder.create(options({ model: 'mnemo/bare', modelsDir, hubUrl: hub.hubUrl, downloads: true }));
    await first.close();
    expect(first.pooling.source).toBe('default');
    const again = await OnnxEmbedder.create(options({ model: 'mnemo/bare', modelsDir, downloads: false }));
    expect(again.pooling).toEqual(first.pooling);
    await again.close();
  });

  it('with downloads off, a model not pulled is an error that names mnemo models pull', async () => {
    await expect(OnnxEmbedder.create(options({ model: 'mnemo/tiny', modelsDir: path.join(root, 'empty') }))).rejects.toThrow(
      /mnemo\/tiny is not in .* and MNEMO_MODEL_DOWNLOADS=false: run "mnemo models pull mnemo\/tiny"/,
    );
  });

  it('a model the Hub does not have, and an unreachable Hub, are errors that say so', async () => {
    await expect(OnnxEmbedder.create(options({ model: 'mnemo/missing', modelsDir: path.join(root, 'missing'), hubUrl: hub.hubUrl, downloads: true }))).rejects.toThrow(
      /could not load mnemo\/missing/,
    );
    await expect(OnnxEmbedder.create(options({ model: 'mnemo/tiny', modelsDir: path.join(root, 'unreachable'), downloads: true }))).rejects.toThrow(
      /cannot reach the model hub for mnemo\/tiny \(http:\/\/127\.0\.0\.1:9\)/,
    );
  });

  it('a local directory that is not a model, and a pooling mode it cannot do, are refused before anything loads', async () => {
    const empty = path.join(root, 'not-a-model');
    fs.mkdirSync(empty, { recursive: true });
    await expect(OnnxEmbedder.create(options({ modelPath: empty }))).rejects.toThrow(/MNEMO_EMBEDDING_MODEL_PATH \(.*not-a-model\) holds no config\.json/);

    const model = buildTinyEmbeddingModel(path.join(root, 'max', 'mnemo-tiny'), { pooling: 'mean' });
    fs.writeFileSync(path.join(model.dir, '1_Pooling/config.json'), JSON.stringify({ pooling_mode_max_tokens: true }));
    await expect(OnnxEmbedder.create(options({ modelPath: model.dir }))).rejects.toThrow(/pools with pooling_mode_max_tokens.*MNEMO_EMBEDDING_POOLING=mean or cls/);
  });
});
