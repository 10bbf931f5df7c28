import zlib from 'node:zlib';
import express from 'express';
import request from 'supertest';
import type { Logger } from '@mnemo/core';
import { errorHandler } from '../../apps/api/src/middleware/error-handler';
import { jsonBody } from '../../apps/api/src/middleware/json-body';
import { SERVICE_KEY, startStack, USER_KEY, type Stack } from '../support/stack';

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

  // Issue 13, High 3: 1.98 MB was 413 alone but 202 as a batch item, kept whole in Redis.
  it('holds a conversation to the same byte limit alone and as each item of a batch', async () => {
    const huge = { ...base, thread_id: 'huge', messages: Array.from({ length: 20 }, () => ({ role: 'user', content: 'z'.repeat(99_000) })) };
    const alone = await post(huge);
    expect(alone.status).toBe(413);
    expect(alone.body).toMatchObject({ status: 'error', error: { code: 'PAYLOAD_TOO_LARGE' } });

    const before = await stack.ingest.waitingCount();
    const items = Array.from({ length: 12 }, (_, i) => ({ ...huge, thread_id: `huge-${i}` }));
    const batch = await request(stack.app).post('/v1/memories/batch').set('X-API-Key', USER_KEY).send({ conversations: items });
    expect(batch.status).toBe(202);
    expect(batch.body).toMatchObject({ accepted: 0, jobs: [] });
    expect(batch.body.rejected).toHaveLength(12);
    expect(batch.body.rejected[0]).toEqual({
      index: 0,
      error: { code: 'PAYLOAD_TOO_LARGE', message: expect.stringMatching(/limit is 1048576 bytes/), details: { bytes: expect.any(Number), limit_bytes: 1_048_576 } },
    });
    expect(await stack.ingest.waitingCount()).toBe(before);
  });

  // Issue 13, Low 13: GET /v1/jobs/:id?user_id= was read raw (no trim, length or control-character check).
  it('checks the acting user the same way on GET /v1/jobs/:id as everywhere else', async () => {
    for (const bad of ['eve\u0001', 'x'.repeat(257), '   ']) {
      const res = await request(stack.app).get('/v1/jobs/ch-0123').query({ user_id: bad }).set('X-API-Key', SERVICE_KEY);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ field: 'user_id', message: expect.any(String) }] });
    }
    const twice = await request(stack.app).get('/v1/jobs/ch-0123?user_id=a&user_id=b').set('X-API-Key', SERVICE_KEY);
    expect(twice.status).toBe(400);
    // Trimmed like everywhere: " carol " is carol, whose job this is.
    const job = await request(stack.app).post('/v1/memories?async=true').set('X-API-Key', SERVICE_KEY).send({ ...base, thread_id: 'trim', user_id: 'carol' });
    const seen = await request(stack.app).get(`/v1/jobs/${job.body.job_id}`).query({ user_id: ' carol ' }).set('X-API-Key', SERVICE_KEY);
    expect(seen.status).toBe(200);
  });

  // Issue 13, Low 12: reusing an Idempotency-Key with another body silently returned the old job.
  it('answers 422 when an Idempotency-Key comes back with a different body, alone or in a batch', async () => {
    const first = await post({ ...base, thread_id: 'ik-a' }).set('Idempotency-Key', 'reused-key');
    expect(first.status).toBe(202);
    const same = await post({ ...base, thread_id: 'ik-a' }).set('Idempotency-Key', 'reused-key');
    expect(same.status).toBe(202);
    expect(same.body.job_id).toBe(first.body.job_id);

    const other = await post({ ...base, thread_id: 'ik-b' }).set('Idempotency-Key', 'reused-key');
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({
      status: 'error',
      error: { code: 'IDEMPOTENCY_KEY_REUSED', message: expect.stringMatching(/used before with a different conversation/), details: { job_id: first.body.job_id } },
    });
    const job = await stack.ingest.queue.getJob(first.body.job_id);
    expect(job!.data.conversation.thread_id).toBe('ik-a');

    const batch = await request(stack.app)
      .post('/v1/memories/batch')
      .set('X-API-Key', USER_KEY)
      .send({ conversations: [{ ...base, thread_id: 'ik-c', idempotency_key: 'batch-key' }, { ...base, thread_id: 'ik-d', idempotency_key: 'batch-key-2' }] });
    expect(batch.body.accepted).toBe(2);
    const reused = await request(stack.app)
      .post('/v1/memories/batch')
      .set('X-API-Key', USER_KEY)
      .send({ conversations: [{ ...base, thread_id: 'ik-c', idempotency_key: 'batch-key' }, { ...base, thread_id: 'ik-changed', idempotency_key: 'batch-key-2' }] });
    expect(reused.body).toMatchObject({ accepted: 1, duplicates: 1 });
    expect(reused.body.rejected).toEqual([{ index: 1, error: expect.objectContaining({ code: 'IDEMPOTENCY_KEY_REUSED' }) }]);
  });

  // Issue 13, Medium 7 (the edge): a lone surrogate reached the UUIDv5 of the text and lost the job.
  it('turns lone surrogates in text and ids into U+FFFD before anything is enqueued', async () => {
    const res = await request(stack.app)
      .post('/v1/memories?async=true')
      .set('X-API-Key', SERVICE_KEY)
      .send({ ...base, thread_id: 't\ud800', user_id: 'eve\ud800', messages: [{ role: 'user', content: 'I live in Lisbon \ud800 and I like tea.' }], metadata: { 'k\udc00': 'v\ud800' } });
    expect(res.status).toBe(202);
    const job = await stack.ingest.queue.getJob(res.body.job_id);
    expect(job!.data.user_id).toBe('eve\uFFFD');
    expect(job!.data.conversation.thread_id).toBe('t\uFFFD');
    expect(job!.data.conversation.messages[0]!.content).toBe('I live in Lisbon \uFFFD and I like tea.');
    expect(job!.data.conversation.metadata).toEqual({ 'k\uFFFD': 'v\uFFFD' });
  });
});

// Issue 13, Low 11: a bad Content-Encoding answered 500 PROCESSING_ERROR and was logged at error level.
describe('Content-Encoding the body does not match', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  const json = Buffer.from(JSON.stringify(base));
  const gzip = zlib.gzipSync(json);
  const cases: [name: string, status: number, encoding: string, body: Buffer][] = [
    ['gzip with a body that is not gzip', 400, 'gzip', json],
    ['truncated gzip', 400, 'gzip', gzip.subarray(0, gzip.length - 12)],
    ['deflate with a body that is not deflate', 400, 'deflate', json],
    ['br with a body that is not brotli', 400, 'br', json],
    ['an encoding nobody speaks', 415, 'compress', json],
  ];
  it.each(cases)('%s answers %i in the error envelope, logged below error level', async (_name, status, encoding, body) => {
    const res = await request(stack.app)
      .post('/v1/memories?async=true')
      .set('X-API-Key', USER_KEY)
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', encoding)
      .serialize((b: Buffer) => b as unknown as string)
      .send(body as unknown as object);
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ status: 'error', error: { code: status === 400 ? 'VALIDATION_ERROR' : 'UNSUPPORTED_MEDIA_TYPE', message: expect.any(String) } });

    // The same parser and error handler as the app, with a logger that records the level.
    const logger = { error: jest.fn(), debug: jest.fn() };
    const app = express();
    app.post('/x', jsonBody(1_048_576), (_req, r) => r.json({}));
    app.use(errorHandler(logger as unknown as Logger));
    const direct = await request(app).post('/x').set('Content-Type', 'application/json').set('Content-Encoding', encoding).serialize((b: Buffer) => b as unknown as string).send(body as unknown as object);
    expect(direct.status).toBe(status);
    expect(logger.error).not.toHaveBeenCalled();
    expect(logger.debug).toHaveBeenCalledTimes(1);
  });

  it('still takes a body that is the gzip it says it is', async () => {
    const res = await request(stack.app)
      .post('/v1/memories?async=true')
      .set('X-API-Key', USER_KEY)
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .serialize((b: Buffer) => b as unknown as string)
      .send(gzip as unknown as object);
    expect(res.status).toBe(202);
  });
});
