import fc from 'fast-check';
import request from 'supertest';
import { ADMIN_KEY, SERVICE_KEY, startStack, USER_KEY, type Stack } from '../support/stack';

jest.setTimeout(120_000);

/**
 * Property: whatever a client sends — any JSON, any header, any query —
 * every route answers with a well-formed success or a well-formed error in
 * the API's envelope, never a 500, never a crash or a hang.
 */

const MEMORY_ID = '75e2a729-f4fa-5aaa-a69c-a897cf6c5a25';
const ROUTES: [method: 'get' | 'post' | 'patch' | 'delete', path: string][] = [
  ['post', '/v1/memories'],
  ['post', '/v1/memories/batch'],
  ['post', '/v1/memories/search'],
  ['get', '/v1/memories'],
  ['get', `/v1/memories/${MEMORY_ID}`],
  ['patch', `/v1/memories/${MEMORY_ID}`],
  ['delete', `/v1/memories/${MEMORY_ID}`],
  ['get', `/v1/memories/${MEMORY_ID}/history`],
  ['post', '/v1/memories/batch-delete'],
  ['get', '/v1/jobs/ch-0123'],
  ['post', '/v1/jobs/status'],
  ['get', '/v1/categories'],
  ['get', '/v1/users/profile'],
  ['delete', '/v1/users/me'],
  ['post', '/v1/webhooks'],
  ['get', '/v1/webhooks'],
  ['delete', '/v1/webhooks/wh_123'],
  ['get', '/admin/api/overview'],
  ['get', '/admin/api/jobs/failed'],
  ['post', '/admin/api/jobs/x/retry'],
  ['post', '/admin/login'],
  ['get', '/healthz'],
  ['get', '/readyz'],
];

/** Values that probe the edges: deep nesting, prototype keys, huge numbers, odd strings. */
const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('__proto__', 'constructor', '\u0000', '../../etc/passwd', '%00', '<script>', 'NaN', '-1', '1e309', ' '.repeat(300), 'x'.repeat(3_000)),
);
const value: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    hostileString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(hostileString, tie('v'), { maxKeys: 4 }),
  ),
})).v;
/** A body: random JSON, or a near-valid store-memories body with one thing wrong. */
const body = fc.oneof(
  value,
  fc.record({
    messages: fc.oneof(fc.array(fc.record({ role: fc.constantFrom('user', 'assistant', 'system'), content: hostileString }), { maxLength: 3 }), value),
    agent_id: fc.oneof(hostileString, value),
    thread_id: hostileString,
    source: hostileString,
    metadata: value,
    user_id: fc.option(hostileString),
    query: hostileString,
    limit: fc.oneof(fc.integer(), value),
    conversations: fc.array(value, { maxLength: 3 }),
    memory_ids: fc.array(hostileString, { maxLength: 3 }),
    job_ids: fc.array(hostileString, { maxLength: 3 }),
    url: hostileString,
  }, { requiredKeys: [] }),
);
const query = fc.dictionary(fc.constantFrom('page', 'page_size', 'categories', 'type', 'user_id', 'created_after', 'include_superseded', 'limit', 'refresh', 'next'), hostileString, { maxKeys: 3 });
const key = fc.constantFrom(USER_KEY, SERVICE_KEY, ADMIN_KEY, USER_KEY, '', 'mnemo_nonsense', 'x'.repeat(600));
/** The same route spelled as clients do: case, a trailing slash (Express routes them all to the same handler). */
const spelling = fc.constantFrom(
  (p: string) => p,
  (p: string) => `${p}/`,
  (p: string) => p.toUpperCase(),
  (p: string) => p.replace(/\/([a-z])/g, (_m, c: string) => `/${c.toUpperCase()}`),
);
/** Content encodings, mostly not matching the bytes that follow (the body is never compressed here). */
const contentEncoding = fc.option(fc.constantFrom('gzip', 'deflate', 'br', 'zstd', 'identity', 'compress', 'gzip, br', 'x-unknown'), { freq: 2 });
const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '');

describe('every route, fuzzed', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      MNEMO_SYNC_WAIT_MS: '0',
      MNEMO_RATE_LIMIT_STORE: '0',
      MNEMO_RATE_LIMIT_SEARCH: '0',
      MNEMO_RATE_LIMIT_BATCH: '0',
      MNEMO_RATE_LIMIT_READ: '0',
      MNEMO_RATE_LIMIT_WRITE: '0',
      // Generated bad keys would otherwise trip the failed-authentication throttle (auth-throttle.test.ts) and hide the routes.
      MNEMO_AUTH_FAILURES_PER_MINUTE: '0',
    });
  });
  afterAll(() => stack.close());

  it.each(ROUTES)('%s %s answers a well-formed success or error, never a 500', async (method, path) => {
    await fc.assert(
      fc.asyncProperty(body, query, key, contentType, fc.option(fc.oneof(fc.string(), fc.constantFrom('{', '{"a":', '[1,2', 'null', '"\\ud800"'))), spelling, contentEncoding, async (payload, params, apiKey, type, raw, spell, encoding) => {
        let req = request(stack.app)[method](spell(path)).query(params).timeout(5_000);
        if (apiKey) req = req.set('X-API-Key', apiKey);
        if (method !== 'get' && encoding) req = req.set('Content-Encoding', encoding);
        if (method !== 'get') {
          // Either the JSON of the value, or text that is not JSON at all.
          const text = raw ?? JSON.stringify(payload);
          req = req.set('Content-Type', type || 'application/json').send(text ?? 'null');
        }
        const res = await req;
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400 && res.type === 'application/json') {
          expect(res.body).toMatchObject({ status: 'error', error: { code: expect.any(String), message: expect.any(String) } });
        }
        if (res.status < 300 && res.type === 'application/json') expect(typeof res.body).toBe('object');
      }),
      { numRuns: 100, seed: 20261124 },
    );
  });
});
