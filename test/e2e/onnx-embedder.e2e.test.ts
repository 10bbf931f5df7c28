import path from 'node:path';
import { eventually } from '../support/eventually';
import { FakeModelHub } from '../support/fake-model-hub';
import { assertBuilt, runCli, spawnCli, startServices, type Services } from '../support/processes';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis';
import { makeTempDir, removeTempDir } from '../support/temp-dir';
import { buildTinyEmbeddingModel } from '../support/tiny-embedding-model';

jest.setTimeout(180_000);

/**
 * The onnx embedder as a user meets it: `mnemo models pull` from a Hub,
 * then the API and worker on the pulled model with downloads off,
 * `mnemo reembed` moving an existing store to it, and search by meaning.
 */
describe('MNEMO_EMBEDDER=onnx end to end, on a model the test builds', () => {
  const prefix = uniquePrefix('e2e-onnx');
  const root = makeTempDir('e2e-onnx');
  const dataDir = path.join(root, 'data');
  const modelsDir = path.join(root, 'models');
  const hub = new FakeModelHub();
  const base = { REDIS_URL: TEST_REDIS_URL, MNEMO_DATA_DIR: dataDir, MNEMO_QUEUE_PREFIX: prefix, MNEMO_MODELS_DIR: modelsDir };
  let onnx: Record<string, string>;
  let services: Services | undefined;

  const call = async (route: string, key: string, body: unknown) => {
    const res = await fetch(`${services!.base}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any };
  };
  const remember = async (key: string, thread: string, content: string) => {
    const stored = await call('/v1/memories', key, { messages: [{ role: 'user', content }], agent_id: 'e2e-agent', thread_id: thread, source: 'chat' });
    expect(stored.status).toBe(200);
  };
  const found = async (key: string, query: string) => ((await call('/v1/memories/search', key, { query, limit: 3 })).body.memories as { memory: string }[]).map((m) => m.memory);
  const logLine = (output: string, message: string) =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((entry) => entry.message === message);

  beforeAll(async () => {
    assertBuilt();
    buildTinyEmbeddingModel(path.join(root, 'hub', 'tiny'), { pooling: 'mean', normalize: true });
    hub.add('mnemo/tiny', path.join(root, 'hub', 'tiny'));
    await hub.start();
    // Once pulled, the model is used with downloads off and the Hub gone: nothing reaches out.
    onnx = { ...base, MNEMO_EMBEDDER: 'onnx', MNEMO_EMBEDDING_MODEL: 'mnemo/tiny', MNEMO_MODEL_DOWNLOADS: 'false', MNEMO_MODEL_HUB_URL: 'http://127.0.0.1:9/' };
  });
  afterAll(async () => {
    await services?.stop();
    await hub.stop();
    await deletePrefix(prefix);
    removeTempDir(root);
  });

  it('mnemo models pull fetches the model with progress and says what vectors it makes', async () => {
    const pull = spawnCli(['models', 'pull', 'mnemo/tiny'], { ...base, MNEMO_MODEL_HUB_URL: hub.hubUrl });
    expect(await pull.exited).toBe(0);
    const { stderr } = pull.output();
    expect(stderr).toMatch(/pulling mnemo\/tiny from http:\/\/127\.0\.0\.1:\d+\//);
    expect(stderr).toMatch(/fetched [\d.]+ MB of [\d.]+ MB/);
    expect(stderr).toMatch(/mnemo\/tiny is ready in .*: 12-dimensional vectors, mean pooling, normalised\. Use it with MNEMO_EMBEDDER=onnx MNEMO_EMBEDDING_MODEL=mnemo\/tiny/);
    expect(hub.requests).toEqual(expect.arrayContaining(['/mnemo/tiny/resolve/main/onnx/model.onnx', '/mnemo/tiny/resolve/main/modules.json']));
    await hub.stop();
  });

  it('a pull from a Hub that cannot be reached fails with the reason', async () => {
    const pull = spawnCli(['models', 'pull', 'mnemo/absent'], { ...base, MNEMO_MODEL_HUB_URL: 'http://127.0.0.1:9/' });
    expect(await pull.exited).toBe(1);
    expect(pull.output().stderr).toMatch(/cannot reach the model hub for mnemo\/absent/);
  });

  it('moves a store of the default embedder to it with mnemo reembed, says so at start-up, and finds memories by meaning', async () => {
    services = await startServices(base);
    const key = await services.createKey('e2e-onnx-alice');
    await remember(key, 'career', 'I work at Google as a senior engineer.');
    await remember(key, 'pets', 'I have a dog named Susie.');
    await remember(key, 'food', 'I am allergic to eggs.');
    await services.stop();
    services = undefined;

    const report = JSON.parse(await runCli(['reembed'], onnx)) as { from: { embedder: string }; to: { embedder: string; dimension: number }; switched: boolean };
    expect(report).toMatchObject({ from: { embedder: 'words' }, to: { embedder: 'onnx:mnemo/tiny', dimension: 12 }, switched: true });

    services = await startServices(onnx);
    for (const [process, message] of [
      [services.api, 'api listening'],
      [services.worker, 'worker ready'],
    ] as const) {
      expect(logLine(process.output, message)).toMatchObject({
        extractor: 'offline',
        embedder: 'onnx:mnemo/tiny',
        vector_size: 12,
        embedding_pooling: "mean, normalised (the model's own)",
      });
    }

    // The questions share no word with the memory they should find but "user": the model's vectors connect them.
    expect((await found(key, 'where is the user employed'))[0]).toMatch(/Google/);
    expect((await found(key, 'what pet does the user have'))[0]).toMatch(/dog named Susie/);

    // New memories are embedded by the worker's model, queries by the API's: the same vectors.
    await remember(key, 'travel', 'I have a trip to Lisbon.');
    await eventually(async () => expect((await found(key, 'where will the user fly on holiday'))[0]).toMatch(/Lisbon/));
  });
});
