import request from 'supertest';
import { startStack, USER_KEY, type Stack } from '../support/stack';

const base = { messages: [{ role: 'user', content: 'I collect stamps.' }], agent_id: 'a', thread_id: 't', source: 'chat' };

describe('input limits and hostile input', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  const post = (body: unknown) =>
    request(stack.app).post('/v1/memories?async=true').set('X-API-Key', USER_KEY).set('Content-Type', 'application/json').send(typeof body === 'string' ? body : JSON.stringify(body));
  const refusedWith = async (body: unknown, field: string, message: RegExp) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(res.body.error.details).toEqual(expect.arrayContaining([{ field, message: expect.stringMatching(message) }]));
  };

  it('keeps prototype keys in metadata inert: refused, and nothing is polluted', async () => {
    await refusedWith('{"messages":[{"role":"user","content":"hi"}],"agent_id":"a","thread_id":"t","source":"s","metadata":{"__proto__":{"polluted":true}}}', 'metadata', /key "__proto__" is not allowed/);
    await refusedWith({ ...base, metadata: { nested: { constructor: { prototype: { polluted: true } } } } }, 'metadata', /key "constructor" is not allowed/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('bounds metadata depth and size, message count and id lengths', async () => {
    await refusedWith({ ...base, metadata: { a: { b: { c: { d: { e: { f: 1 } } } } } } }, 'metadata', /deeper than 5 levels/);
    await refusedWith({ ...base, metadata: { blob: 'x'.repeat(17_000) } }, 'metadata', /at most 16384 bytes/);
    await refusedWith({ ...base, messages: Array.from({ length: 1_001 }, () => base.messages[0]) }, 'messages', /1000/);
    await refusedWith({ ...base, thread_id: 't'.repeat(257) }, 'thread_id', /256/);
    await refusedWith({ ...base, messages: [{ role: 'user', content: 'x'.repeat(100_001) }] }, 'messages[0].content', /100000/);
  });

  it('refuses control characters in ids and drops them from message text', async () => {
    await refusedWith({ ...base, agent_id: 'agent\u0000x' }, 'agent_id', /control characters/);
    await refusedWith({ ...base, messages: [{ role: 'user', content: 'hi', id: 'm\u00071' }] }, 'messages[0].id', /control characters/);
    await refusedWith({ ...base, messages: [{ role: 'user', content: '\u0000\u0001' }] }, 'messages[0].content', /must not be empty/);
    const res = await post({ ...base, thread_id: 'controls', messages: [{ role: 'user', content: 'I collect\u0000 stamps.\tReally.' }] });
    expect(res.status).toBe(202);
    const job = await stack.ingest.queue.getJob(res.body.job_id);
    expect(job!.data.conversation.messages[0]!.content).toBe('I collect stamps.\tReally.');
  });

  it('takes invalid UTF-8 as replacement characters, not as a server error', async () => {
    const raw = Buffer.concat([
      Buffer.from('{"messages":[{"role":"user","content":"I like caf'),
      Buffer.from([0xc3, 0x28, 0xff, 0xfe]),
      Buffer.from('"}],"agent_id":"a","thread_id":"utf8","source":"s"}'),
    ]);
    // The raw bytes as they are: no JSON serialisation on the way.
    const res = await request(stack.app)
      .post('/v1/memories?async=true')
      .set('X-API-Key', USER_KEY)
      .set('Content-Type', 'application/json')
      .serialize((body: Buffer) => body as unknown as string)
      .send(raw as unknown as object);
    expect(res.status).toBe(202);
    const job = await stack.ingest.queue.getJob(res.body.job_id);
    expect(job!.data.conversation.messages[0]!.content).toMatch(/^I like caf\uFFFD/);
  });

  it('answers an oversized body with 413 in the error envelope', async () => {
    const res = await post({ ...base, messages: [{ role: 'user', content: 'y'.repeat(1_100_000) }] });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ status: 'error', error: { code: 'PAYLOAD_TOO_LARGE' } });
  });
});
