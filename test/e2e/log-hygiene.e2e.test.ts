import { assertBuilt, freePort, runCli, startProcess, type MnemoProcess } from '../support/processes';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis';
import { makeTempDir, removeTempDir } from '../support/temp-dir';

jest.setTimeout(60_000);

/** A full run at debug level: the logs carry ids, stages and codes, never what users said or any key. */
describe('logs never contain message text or keys', () => {
  const prefix = uniquePrefix('logs');
  const dataDir = makeTempDir('logs');
  const processes: MnemoProcess[] = [];
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await deletePrefix(prefix);
    removeTempDir(dataDir);
  });

  it('holds for storing, searching, failing, webhooks and bad keys', async () => {
    assertBuilt();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_URL: TEST_REDIS_URL,
      MNEMO_DATA_DIR: dataDir,
      MNEMO_QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'debug',
      MNEMO_WEBHOOK_ALLOW_PRIVATE: 'true',
    };
    const api = startProcess('api', env);
    const worker = startProcess('worker', env);
    processes.push(api, worker);
    await Promise.all([api.waitForOutput(/api listening/), worker.waitForOutput(/worker ready/)]);
    const key = (await runCli(['keys', 'create', '--user', 'logs-user'], env)).split('\n')[0]!;
    const call = (path: string, body?: unknown, asKey = key) =>
      fetch(`${base}${path}`, {
        method: body ? 'POST' : 'GET',
        headers: { 'content-type': 'application/json', 'x-api-key': asKey },
        body: body ? JSON.stringify(body) : undefined,
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));

    const secretText = 'Quetzalcoatl-Pinecone-4471';
    const webhook = await call('/v1/webhooks', { url: 'http://127.0.0.1:9/nowhere' });
    const stored = await call('/v1/memories', { messages: [{ role: 'user', content: `My safe word is ${secretText} and I live in Oslo.` }], agent_id: 'a', thread_id: 'logs', source: 'chat' });
    expect(stored.status).toBe(200);
    await call('/v1/memories/search', { query: secretText });
    await call('/v1/memories', { messages: [], agent_id: 'a', thread_id: 'bad', source: 'chat' });
    await call('/v1/memories', { messages: [{ role: 'user', content: 'x' }], agent_id: 'a', thread_id: 't', source: 's' }, 'mnemo_wrong_key_value_123');
    await new Promise((r) => setTimeout(r, 1_000)); // let the webhook attempt and the profile rebuild log

    const logs = api.output + worker.output;
    expect(logs).toContain(stored.body.job_id); // the logs do say what happened
    for (const secret of [secretText, 'safe word', key, 'mnemo_wrong_key_value_123', webhook.body.secret]) {
      expect(logs).not.toContain(secret);
    }
  });
});
