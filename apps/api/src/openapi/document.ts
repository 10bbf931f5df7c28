import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import {
  batchDeleteSchema,
  batchItemSchema,
  ERROR_STATUS,
  listQuerySchema,
  memoryDeleteQuerySchema,
  memoryIdSchema,
  memoryPatchSchema,
  searchRequestSchema,
  storeMemoriesRequestSchema,
  userIdSchema,
  userQuerySchema,
  type ErrorCode,
} from '@mnemo/core';
import { jobIdSchema, statusRequestSchema } from '../routes/jobs';
import { idempotencyKeySchema } from '../routes/memories';
import { webhookCreateSchema } from '../routes/webhooks';
import * as r from './response-schemas';

/** The MemSync example conversation the README posts. */
export const STORE_EXAMPLE = {
  messages: [
    { role: 'user', content: "I just got promoted to Senior Software Engineer at Google! I'll be working on their ML infrastructure team." },
    { role: 'assistant', content: "Congratulations on your promotion! That's a significant achievement. Working on ML infrastructure at Google must be exciting." },
    { role: 'user', content: "Thanks! I'm really excited. I'll be leading a team of 5 engineers and working on scaling their recommendation systems." },
  ],
  agent_id: 'career-advisor-bot',
  thread_id: 'conversation-2024-001',
  source: 'chat',
  metadata: { timestamp: '2024-03-20T10:00:00Z', platform: 'web-app', session_id: 'session-abc123' },
};

const ERROR_MEANING: Record<ErrorCode, string> = {
  VALIDATION_ERROR: 'The request is malformed; details name each field.',
  AUTHENTICATION_ERROR: 'No API key, or an unknown or revoked one.',
  FORBIDDEN: 'The key may not do this (a user key naming another user_id).',
  NOT_FOUND: "No such resource for this user (another user's looks the same).",
  PAYLOAD_TOO_LARGE: 'The body is over the configured bound.',
  UNSUPPORTED_MEDIA_TYPE: 'The body must be application/json.',
  IDEMPOTENCY_KEY_REUSED: 'The Idempotency-Key was used before with a different body.',
  RATE_LIMIT_EXCEEDED: 'Over the per-user budget, or too many failed authentications; wait Retry-After seconds.',
  PROCESSING_ERROR: 'The server failed; the message says what.',
  SERVICE_UNAVAILABLE: 'A dependency (Redis, the store) is unavailable or overloaded; retry after Retry-After seconds.',
};

const retryAfter = { schema: z.string().meta({ description: 'Seconds to wait before retrying' }) };
const rateLimitHeaders = {
  RateLimit: { schema: z.string().meta({ description: 'IETF draft: "<policy>";r=<remaining>;t=<seconds to reset>' }) },
  'RateLimit-Policy': { schema: z.string().meta({ description: 'IETF draft: "<policy>";q=<quota>;w=<window seconds>' }) },
  'X-RateLimit-Limit': { schema: z.string().meta({ description: 'Requests allowed per window (MemSync)' }) },
  'X-RateLimit-Remaining': { schema: z.string().meta({ description: 'Requests left in this window (MemSync)' }) },
  'X-RateLimit-Reset': { schema: z.string().meta({ description: 'Unix time (seconds) at which the window resets (MemSync)' }) },
};

/** Error answers, by code, grouped by status (two codes share 429 and 503 headers). */
function errors(codes: ErrorCode[]): ZodOpenApiResponsesObject {
  const out: Record<string, object> = {};
  for (const code of codes) {
    const status = String(ERROR_STATUS[code]);
    const headers = code === 'RATE_LIMIT_EXCEEDED' ? { 'Retry-After': retryAfter, ...rateLimitHeaders } : code === 'SERVICE_UNAVAILABLE' ? { 'Retry-After': retryAfter } : undefined;
    out[status] = { description: `${code}: ${ERROR_MEANING[code]}`, headers, content: { 'application/json': { schema: r.errorEnvelopeSchema } } };
  }
  return out as ZodOpenApiResponsesObject;
}

const json = (schema: z.ZodType, description: string, example?: unknown) => ({
  description,
  content: { 'application/json': { schema, ...(example === undefined ? {} : { example }) } },
});

/** What every authenticated route may answer besides its own results. */
const V1_ERRORS: ErrorCode[] = ['VALIDATION_ERROR', 'AUTHENTICATION_ERROR', 'FORBIDDEN', 'RATE_LIMIT_EXCEEDED', 'PROCESSING_ERROR', 'SERVICE_UNAVAILABLE'];
const BODY_ERRORS: ErrorCode[] = [...V1_ERRORS, 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'];

function v1(op: Omit<ZodOpenApiOperationObject, 'responses'> & { ok: ZodOpenApiResponsesObject; errors: ErrorCode[] }): ZodOpenApiOperationObject {
  const { ok, errors: codes, ...rest } = op;
  const withHeaders = Object.fromEntries(Object.entries(ok).map(([status, res]) => [status, { ...res, headers: { ...rateLimitHeaders, ...(res as { headers?: object }).headers } }]));
  return { ...rest, responses: { ...withHeaders, ...errors(codes) } };
}

const jsonRpcSchema = z.looseObject({ jsonrpc: z.literal('2.0') }).meta({ id: 'JsonRpcMessage' });

const actingUserQuery = z.object({ user_id: userIdSchema.optional().meta({ description: 'Service keys only: the user to act for' }) });
const memoryPath = z.object({ id: memoryIdSchema.meta({ description: 'Memory id (UUID)' }) });

/**
 * The OpenAPI 3.1 document of the HTTP API, made from the same zod
 * schemas that validate requests and type the answers. Served at
 * /openapi.json; the typed client is generated from it.
 */
export function buildOpenApiDocument(options: { maxBatchItems?: number } = {}): Record<string, unknown> {
  const maxItems = options.maxBatchItems ?? 500;
  const document = createDocument({
    openapi: '3.1.0',
    info: {
      title: 'mnemo',
      version: '0.1.0',
      description:
        'Self-hostable memory for AI applications, compatible with the MemSync memory API. Authenticate with `X-API-Key: <key>` or `Authorization: Bearer <key>`.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    // Relative: the reference at /docs tries requests against the server that serves it.
    servers: [{ url: '/', description: 'this server' }],
    security: [{ ApiKeyHeader: [] }, { BearerAuth: [] }],
    tags: [
      { name: 'memories', description: 'Store conversations, search and manage memories' },
      { name: 'jobs', description: 'Follow the processing of stored conversations' },
      { name: 'users', description: 'Profiles and erasure' },
      { name: 'webhooks', description: 'Notifications of finished jobs' },
      { name: 'agents', description: 'The same memory for models, over MCP' },
      { name: 'health', description: 'Liveness and readiness' },
    ],
    components: {
      securitySchemes: {
        ApiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        BearerAuth: { type: 'http', scheme: 'bearer', description: 'The API key as a bearer token' },
      },
    },
    paths: {
      '/v1/memories': {
        post: v1({
          tags: ['memories'],
          operationId: 'storeMemories',
          summary: 'Store a conversation',
          description:
            'Enqueues the conversation. By default waits (bounded) for the job and answers 200 with the memories; `?async=true` or `Prefer: respond-async` answers 202 at once, as does a wait past its bound.',
          requestParams: {
            query: z.object({ async: z.enum(['true', 'false']).optional().meta({ description: 'Answer 202 at once' }) }),
            header: z.object({
              'Idempotency-Key': idempotencyKeySchema.meta({ description: 'The same key never runs twice; reused with another body: 422' }),
              Prefer: z.string().optional().meta({ description: '`respond-async`: answer 202 at once' }),
            }),
          },
          requestBody: { required: true, content: { 'application/json': { schema: storeMemoriesRequestSchema, example: STORE_EXAMPLE } } },
          ok: {
            '200': json(r.storeMemoriesCompletedSchema, 'The job finished: what it stored'),
            '202': json(r.storeMemoriesAcceptedSchema, 'Accepted; follow status_url'),
          },
          errors: [...BODY_ERRORS, 'IDEMPOTENCY_KEY_REUSED'],
        }),
        get: v1({
          tags: ['memories'],
          operationId: 'listMemories',
          summary: 'List memories, paged and filtered',
          requestParams: { query: listQuerySchema },
          ok: { '200': json(r.memoryListSchema, 'One page of memories, newest first') },
          errors: V1_ERRORS,
        }),
      },
      '/v1/memories/batch': {
        post: v1({
          tags: ['memories'],
          operationId: 'storeMemoriesBatch',
          summary: 'Store many conversations at once (always asynchronous)',
          description: 'Each conversation is checked on its own: the good ones are enqueued, the bad ones come back in `rejected` with their reasons.',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: z.object({ conversations: z.array(batchItemSchema).min(1).max(maxItems) }),
                example: { conversations: [{ ...STORE_EXAMPLE, idempotency_key: 'chat-export-0001' }] },
              },
            },
          },
          ok: { '202': json(r.batchAcceptedSchema, 'Accepted items, duplicates and rejections') },
          errors: BODY_ERRORS,
        }),
      },
      '/v1/memories/search': {
        post: v1({
          tags: ['memories'],
          operationId: 'searchMemories',
          summary: 'Search memories with a natural-language query',
          requestBody: { required: true, content: { 'application/json': { schema: searchRequestSchema, example: { query: 'Where does the user work?', limit: 3 } } } },
          ok: { '200': json(r.searchResponseSchema, 'The best matches, best first') },
          errors: BODY_ERRORS,
        }),
      },
      '/v1/memories/batch-delete': {
        post: v1({
          tags: ['memories'],
          operationId: 'deleteMemories',
          summary: 'Delete many memories',
          requestBody: { required: true, content: { 'application/json': { schema: batchDeleteSchema } } },
          ok: { '200': json(r.batchDeletedSchema, 'What was deleted and what was not found') },
          errors: BODY_ERRORS,
        }),
      },
      '/v1/memories/{id}': {
        get: v1({
          tags: ['memories'],
          operationId: 'getMemory',
          summary: 'One memory',
          requestParams: { path: memoryPath, query: actingUserQuery },
          ok: { '200': json(r.memoryViewSchema, 'The memory') },
          errors: [...V1_ERRORS, 'NOT_FOUND'],
        }),
        patch: v1({
          tags: ['memories'],
          operationId: 'updateMemory',
          summary: 'Edit a memory (text, categories or type)',
          requestParams: { path: memoryPath },
          requestBody: { required: true, content: { 'application/json': { schema: memoryPatchSchema, example: { memory: 'User works at Google as a Staff Engineer' } } } },
          ok: { '200': json(r.memoryViewSchema, 'The memory as edited') },
          errors: [...BODY_ERRORS, 'NOT_FOUND'],
        }),
        delete: v1({
          tags: ['memories'],
          operationId: 'deleteMemory',
          summary: 'Delete a memory (`erase=true` also scrubs its history)',
          requestParams: { path: memoryPath, query: memoryDeleteQuerySchema },
          ok: { '200': json(r.memoryDeletedSchema, 'Deleted') },
          errors: [...V1_ERRORS, 'NOT_FOUND'],
        }),
      },
      '/v1/memories/{id}/history': {
        get: v1({
          tags: ['memories'],
          operationId: 'getMemoryHistory',
          summary: "A memory's history, oldest first",
          requestParams: { path: memoryPath, query: actingUserQuery },
          ok: { '200': json(r.memoryHistorySchema, 'Every change to the memory') },
          errors: [...V1_ERRORS, 'NOT_FOUND'],
        }),
      },
      '/v1/jobs/{id}': {
        get: v1({
          tags: ['jobs'],
          operationId: 'getJob',
          summary: 'A job: state, stage, attempts, result or error',
          requestParams: { path: z.object({ id: jobIdSchema }), query: actingUserQuery },
          ok: { '200': json(r.jobViewSchema, 'The job') },
          errors: [...V1_ERRORS, 'NOT_FOUND'],
        }),
      },
      '/v1/jobs/status': {
        post: v1({
          tags: ['jobs'],
          operationId: 'getJobStatuses',
          summary: 'The state of many jobs at once',
          requestBody: { required: true, content: { 'application/json': { schema: statusRequestSchema } } },
          ok: { '200': json(r.jobStatusesSchema, 'One entry per job id, in order') },
          errors: BODY_ERRORS,
        }),
      },
      '/v1/users/profile': {
        get: v1({
          tags: ['users'],
          operationId: 'getProfile',
          summary: 'The user profile: bio, per-category summaries, stats',
          requestParams: { query: userQuerySchema },
          ok: { '200': json(r.profileSchema, 'The profile') },
          errors: V1_ERRORS,
        }),
      },
      '/v1/users/me': {
        delete: v1({
          tags: ['users'],
          operationId: 'eraseUser',
          summary: "Erase everything of the user: memories, queued jobs, profile",
          requestParams: { query: actingUserQuery },
          ok: { '200': json(r.userErasedSchema, 'What was erased') },
          errors: V1_ERRORS,
        }),
      },
      '/v1/categories': {
        get: v1({
          tags: ['memories'],
          operationId: 'listCategories',
          summary: "The taxonomy, with the user's counts",
          requestParams: { query: actingUserQuery },
          ok: { '200': json(r.categoriesSchema, 'Every category') },
          errors: V1_ERRORS,
        }),
      },
      '/v1/webhooks': {
        post: v1({
          tags: ['webhooks'],
          operationId: 'createWebhook',
          summary: "Register a webhook for this key's jobs",
          requestBody: { required: true, content: { 'application/json': { schema: webhookCreateSchema, example: { url: 'https://example.com/hooks/mnemo', events: ['job.completed'] } } } },
          ok: { '201': json(r.webhookCreatedSchema, 'Created; the secret is shown this once') },
          errors: BODY_ERRORS,
        }),
        get: v1({
          tags: ['webhooks'],
          operationId: 'listWebhooks',
          summary: "This key's webhooks",
          ok: { '200': json(r.webhookListSchema, 'The webhooks, without secrets') },
          errors: V1_ERRORS,
        }),
      },
      '/v1/webhooks/{id}': {
        delete: v1({
          tags: ['webhooks'],
          operationId: 'deleteWebhook',
          summary: 'Delete a webhook',
          requestParams: { path: z.object({ id: z.string() }) },
          ok: { '200': json(r.webhookDeletedSchema, 'Deleted') },
          errors: [...V1_ERRORS, 'NOT_FOUND'],
        }),
      },
      '/mcp': {
        post: {
          tags: ['agents'],
          operationId: 'mcp',
          summary: 'Model Context Protocol over Streamable HTTP (stateless)',
          description:
            "JSON-RPC 2.0 messages of MCP: initialize, tools/list, tools/call (add_memory, search_memories, list_memories, get_memory, update_memory, delete_memory, get_profile, get_job). Each tool call runs as the caller's key on /v1, with its rate limits.",
          requestBody: { required: true, content: { 'application/json': { schema: jsonRpcSchema } } },
          responses: {
            '200': json(jsonRpcSchema, 'The JSON-RPC answer'),
            '202': { description: 'A notification, accepted' },
            ...errors(['VALIDATION_ERROR', 'AUTHENTICATION_ERROR', 'RATE_LIMIT_EXCEEDED', 'PAYLOAD_TOO_LARGE', 'PROCESSING_ERROR']),
          },
        },
        get: { tags: ['agents'], operationId: 'mcpStream', summary: 'Not offered: the server is stateless', responses: { '405': json(jsonRpcSchema, 'Use POST') } },
        delete: { tags: ['agents'], operationId: 'mcpSession', summary: 'Not offered: the server is stateless', responses: { '405': json(jsonRpcSchema, 'Use POST') } },
      },
      '/healthz': {
        get: { tags: ['health'], operationId: 'health', summary: 'Liveness', security: [], responses: { '200': json(r.healthSchema, 'The process is up') } },
      },
      '/readyz': {
        get: {
          tags: ['health'],
          operationId: 'ready',
          summary: 'Readiness: Redis and the store answer',
          security: [],
          responses: { '200': json(r.readinessSchema, 'Ready'), '503': json(r.readinessSchema, 'Not ready: a check failed') },
        },
      },
    },
  });
  return document as unknown as Record<string, unknown>;
}
