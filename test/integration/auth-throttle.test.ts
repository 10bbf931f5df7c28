import request from 'supertest';
import { ADMIN_KEY, startStack, USER_KEY, type Stack } from '../support/stack';

/**
 * Issue 13, item 15: failed authentication is throttled per client address
 * and per presented key prefix, on /v1 and on the dashboard, in the API's
 * error envelope.
 */
describe('failed authentication is throttled', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ MNEMO_AUTH_FAILURES_PER_MINUTE: '5' });
  });
  afterAll(() => stack.close());

  // Requests come through the loopback proxy mnemo trusts, so X-Forwarded-For names the client.
  const from = (ip: string, key: string) => request(stack.app).get('/v1/memories').set('X-Forwarded-For', ip).set('X-API-Key', key);

  it('answers 429 with Retry-After after the failures of one address, even to its right key; other addresses are untouched', async () => {
    for (let i = 0; i < 5; i++) expect((await from('203.0.113.7', `mnemo_guess-number-${i}-abcdefghijkl`)).status).toBe(401);
    const refused = await from('203.0.113.7', 'mnemo_guess-number-6-abcdefghijkl');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.body).toMatchObject({ status: 'error', error: { code: 'RATE_LIMIT_EXCEEDED', details: { limit: 'auth_failures' } } });
    // While blocked, a right key does not tell the guesser it was right.
    expect((await from('203.0.113.7', USER_KEY)).status).toBe(429);
    expect((await from('198.51.100.1', USER_KEY)).status).toBe(200);
    expect((await from('198.51.100.1', 'mnemo_another-wrong-key-xyz')).status).toBe(401);
  });

  it('throttles guesses at one key prefix spread over many addresses', async () => {
    for (let i = 0; i < 5; i++) expect((await from(`192.0.2.${i + 1}`, `mnemo_samePrefix-tail-${i}`)).status).toBe(401);
    expect((await from('192.0.2.99', 'mnemo_samePrefix-tail-99')).status).toBe(429);
  });

  it('counts wrong keys at the dashboard door too', async () => {
    const login = (key: string) => request(stack.app).post('/admin/login').set('X-Forwarded-For', '203.0.113.50').type('form').send({ key, next: '/admin' });
    for (let i = 0; i < 5; i++) expect((await login(`wrong-dashboard-key-number-${i}`)).status).toBe(401);
    expect((await login(ADMIN_KEY)).status).toBe(429);
    const basic = await request(stack.app).get('/admin/api/overview').set('X-Forwarded-For', '203.0.113.50').auth('ops', ADMIN_KEY);
    expect(basic.status).toBe(429);
    expect(basic.body.error.code).toBe('RATE_LIMIT_EXCEEDED');
  });
});
