import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MnemoApiError, MnemoClient, type RetryInfo, type StoreMemoriesResult } from '@mnemo/client';
import { MEMSYNC_EXAMPLE, OTHER_KEY, SERVICE_KEY, startStack, USER_KEY, type Stack } from '../support/stack';

jest.setTimeout(60_000);

const listen = (handler: http.RequestListener | Parameters<typeof http.createServer>[0]) =>
  new Promise<{ server: Server; url: string }>((resolve) => {
    const server = http.createServer(handler as http.RequestListener);
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
  });
const close = (server: Server) => new Promise((resolve) => server.close(resolve));

describe('@mnemo/client against the API', () => {
  let stack: Stack;
  let server: Server;
  let url: string;
  let alice: MnemoClient;
  beforeAll(async () => {
    stack = await startStack({ MNEMO_RATE_LIMIT_SEARCH: '6' });
    await stack.startWorker();
    ({ server, url } = await listen(stack.app));
    alice = new MnemoClient({ url, apiKey: USER_KEY });
  });
  afterAll(async () => {
    await close(server);
    await stack.close();
  });

  it('stores synchronously, and asynchronously then waits for the job', async () => {
    const stored = (await alice.memories.store(MEMSYNC_EXAMPLE)) as StoreMemoriesResult;
    expect(stored.success).toBe(true);
    expect(stored.memories_created).toBeGreaterThan(0);
    expect(stored.memories[0]!.memory).toMatch(/Google/);

    const accepted = await alice.memories.store({ ...MEMSYNC_EXAMPLE, thread_id: 'client-async' }, { async: true, idempotencyKey: 'client-test-1' });
    expect(accepted).toMatchObject({ success: true, status_url: expect.stringMatching(/^\/v1\/jobs\//) });
    const job = await alice.jobs.wait(accepted.job_id, { timeoutMs: 30_000, pollMs: 100 });
    expect(job.status).toBe('completed');
    expect(job.result).not.toBeNull();
    // The same idempotency key is the same job.
    expect((await alice.memories.store({ ...MEMSYNC_EXAMPLE, thread_id: 'client-async' }, { async: true, idempotencyKey: 'client-test-1' })).job_id).toBe(accepted.job_id);
  });

  it('searches, lists, reads, edits and deletes', async () => {
    const found = await alice.memories.search('Where does the user work?');
    expect(found.memories[0]!.memory).toMatch(/Google/);
    expect(typeof found.user_bio).toBe('string');
    const page = await alice.memories.list({ page_size: 2 });
    expect(page.pagination).toMatchObject({ page: 1, page_size: 2 });
    const id = page.data[0]!.id;
    expect((await alice.memories.get(id)).id).toBe(id);
    expect((await alice.memories.update(id, { categories: ['career', 'learning'] })).categories).toEqual(['career', 'learning']);
    expect((await alice.memories.history(id)).events.length).toBeGreaterThan(0);
    expect(await alice.memories.delete(id)).toMatchObject({ success: true, deleted_id: id });
    expect((await alice.profile.get()).user_id).toBe('alice');
    expect((await alice.categories.list()).categories.length).toBeGreaterThan(5);
  });

  it("another user's memory is not found, with the API's code", async () => {
    const [mine] = (await alice.memories.list()).data;
    const bob = new MnemoClient({ url, apiKey: OTHER_KEY, auth: 'bearer' });
    const err = await bob.memories.get(mine!.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MnemoApiError);
    expect(err).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('acts for a user with a service key', async () => {
    const service = new MnemoClient({ url, apiKey: SERVICE_KEY });
    const stored = (await service.memories.store({ ...MEMSYNC_EXAMPLE, thread_id: 'for-carol' }, { userId: 'carol' })) as StoreMemoriesResult;
    expect(stored.memories_created).toBeGreaterThan(0);
    expect((await service.memories.list({ userId: 'carol' })).pagination.total_items).toBe(stored.memories_created);
  });

  it('surfaces a validation error with its details, without retrying it', async () => {
    const retries: RetryInfo[] = [];
    const client = new MnemoClient({ url, apiKey: USER_KEY, retry: { onRetry: (r) => retries.push(r) } });
    const err = (await client.memories.search({ query: '', limit: 3 }).catch((e: unknown) => e)) as MnemoApiError;
    expect(err).toMatchObject({ status: 400, code: 'VALIDATION_ERROR', details: [expect.objectContaining({ field: 'query' })] });
    expect(retries).toEqual([]);
  });

  it('reads Retry-After on a 429 and, when tries run out, throws RATE_LIMIT_EXCEEDED', async () => {
    const retries: RetryInfo[] = [];
    const client = new MnemoClient({ url, apiKey: OTHER_KEY, retry: { attempts: 2, maxDelayMs: 20, onRetry: (r) => retries.push(r) } });
    let err: unknown;
    for (let i = 0; i < 8 && !err; i++) err = await client.memories.search('anything').then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ status: 429, code: 'RATE_LIMIT_EXCEEDED', retryAfterMs: expect.any(Number) });
    expect((err as MnemoApiError).retryAfterMs!).toBeGreaterThan(0);
    // One wait before the second (last) try, capped at maxDelayMs from the server's Retry-After.
    expect(retries).toEqual([{ attempt: 1, waitMs: 20, status: 429, reason: 'server answered 429' }]);
  });
});

describe('@mnemo/client retries', () => {
  it("waits the server's Retry-After on 503, then succeeds with the same request", async () => {
    const bodies: string[] = [];
    const { server, url } = await listen((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        bodies.push(body);
        if (bodies.length === 1) {
          res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
          return res.end(JSON.stringify({ status: 'error', error: { code: 'SERVICE_UNAVAILABLE', message: 'restarting' }, timestamp: '' }));
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ user_bio: null, memories: [] }));
      });
    });
    try {
      const retries: RetryInfo[] = [];
      const client = new MnemoClient({ url, apiKey: 'k'.repeat(30), retry: { onRetry: (r) => retries.push(r) } });
      const started = Date.now();
      expect(await client.memories.search('x')).toEqual({ user_bio: null, memories: [] });
      expect(retries).toEqual([{ attempt: 1, waitMs: 1_000, status: 503, reason: 'server answered 503' }]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(990);
      expect(bodies).toEqual([bodies[0], bodies[0]]);
    } finally {
      await close(server);
    }
  });

  it('names a network error once its tries are used up', async () => {
    const { server, url } = await listen(() => undefined);
    await close(server);
    const client = new MnemoClient({ url, apiKey: 'k'.repeat(30), retry: { attempts: 2, baseDelayMs: 10 } });
    const err = (await client.memories.search('x').catch((e: unknown) => e)) as MnemoApiError;
    expect(err).toMatchObject({ status: 0, code: 'NETWORK_ERROR' });
    expect(err.message).toMatch(/^POST \/v1\/memories\/search: ECONNREFUSED$/);
  });
});
