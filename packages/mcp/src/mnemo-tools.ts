import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { MnemoApiError, type Job, type Memory, type MnemoClient, type SearchHit, type StoreMemoriesResult } from '@mnemo/client';
import { listQuerySchema, memoryIdSchema, memoryPatchSchema, messageSchema, searchRequestSchema, storeMemoriesRequestSchema, userIdSchema } from '@mnemo/core';

/** The longest add_memory may wait for its job: a tool call should not hold a model for long. */
export const MAX_WAIT_SECONDS = 30;

const search = searchRequestSchema.shape;
const store = storeMemoriesRequestSchema.shape;
const userId = userIdSchema.optional().describe('Only with a service key: the user to act for. Omit it otherwise.');
const memoryId = memoryIdSchema.describe('The memory id, as search_memories or list_memories show it');

const line = (m: Pick<Memory, 'id' | 'memory' | 'categories' | 'type'>) => `${m.memory} [${m.categories.join(', ')}; ${m.type}] (id ${m.id})`;
const ok = (text: string, structured: object): CallToolResult => ({ content: [{ type: 'text', text }], structuredContent: structured as Record<string, unknown> });

/**
 * A tool's answer when the API refuses: an MCP tool error carrying the
 * API's code and message, so the model can read what went wrong and the
 * session goes on.
 */
function refusal(err: unknown): CallToolResult {
  const { code, message } = err instanceof MnemoApiError ? err : { code: 'PROCESSING_ERROR', message: err instanceof Error ? err.message : String(err) };
  return { isError: true, content: [{ type: 'text', text: `${code}: ${message}` }], structuredContent: { error: { code, message } } };
}

const guarded =
  <A>(run: (args: A) => Promise<CallToolResult>) =>
  async (args: A): Promise<CallToolResult> => {
    try {
      return await run(args);
    } catch (err) {
      return refusal(err);
    }
  };

function jobText(job: Job): string {
  if (job.status === 'failed') return `Job ${job.job_id} failed: ${job.error?.code}: ${job.error?.message}`;
  if (job.status !== 'completed' || !job.result) return `Job ${job.job_id} is ${job.status}${job.stage ? ` (stage ${job.stage})` : ''}.`;
  const r = job.result;
  const touched = r.memories.map((m) => `- ${m.action}: ${line(m)}`).join('\n');
  return `Job ${job.job_id} completed: ${r.memories_created} created, ${r.memories_merged} merged, ${r.memories_updated} updated, ${r.memories_superseded} superseded.${touched ? `\n${touched}` : ''}`;
}

/** The mnemo tools, each a call of the HTTP API through the typed client (the caller's key, the caller's user). */
export function registerMnemoTools(server: McpServer, api: MnemoClient): void {
  server.registerTool(
    'add_memory',
    {
      title: 'Remember',
      description:
        'Store something about the user in long-term memory: either one statement in `text` (stored as something the user said), or a whole conversation in `messages`. mnemo extracts the lasting facts and events itself, merges them with what it already knows and closes facts that changed. Returns at once with a job id; set wait_seconds to wait for the memories it created.',
      inputSchema: {
        text: z.string().trim().min(1).max(20_000).optional().describe('One statement by or about the user, e.g. "I moved to Berlin in May"'),
        messages: store.messages.optional().describe('A conversation: [{role: "user"|"assistant", content}]'),
        agent_id: store.agent_id.default('mcp').describe('Which assistant is storing this (default "mcp")'),
        thread_id: store.thread_id.optional().describe('The conversation this came from (default: one per call)'),
        source: store.source.default('mcp').describe('Where it came from (default "mcp")'),
        wait_seconds: z.number().int().min(0).max(MAX_WAIT_SECONDS).default(0).describe(`Wait up to this many seconds (at most ${MAX_WAIT_SECONDS}) for the job to finish`),
        idempotency_key: z.string().trim().min(1).max(255).optional().describe('The same key is never stored twice'),
        user_id: userId,
      },
    },
    guarded(async (args) => {
      if ((args.text === undefined) === (args.messages === undefined)) {
        throw new MnemoApiError(400, 'VALIDATION_ERROR', 'give exactly one of text (a statement) or messages (a conversation)');
      }
      const messages = args.messages ?? [messageSchema.parse({ role: 'user', content: args.text })];
      const accepted = await api.memories.store(
        { messages, agent_id: args.agent_id, thread_id: args.thread_id ?? `mcp-${Date.now().toString(36)}`, source: args.source },
        { async: true, idempotencyKey: args.idempotency_key, userId: args.user_id },
      );
      if (args.wait_seconds === 0) return ok(`Accepted as job ${accepted.job_id}; get_job tells when it is done.`, accepted);
      const job = await api.jobs.wait(accepted.job_id, { timeoutMs: args.wait_seconds * 1000, pollMs: 250, userId: args.user_id }).catch((err: unknown) => {
        if (err instanceof MnemoApiError && err.code === 'TIMEOUT') return null;
        throw err;
      });
      if (!job) return ok(`Accepted as job ${accepted.job_id}; still running after ${args.wait_seconds} s (get_job follows it).`, accepted);
      return ok(jobText(job), job);
    }),
  );

  server.registerTool(
    'search_memories',
    {
      title: 'Recall',
      description:
        'Search what is remembered about the user with a natural-language question ("where does the user work?"). Returns the best-matching memories, best first, with their categories, type (semantic: lasting; episodic: an event) and ids.',
      inputSchema: {
        query: search.query.describe('What to look for, in plain words'),
        limit: search.limit.describe('How many memories (1–100, default 10)'),
        categories: search.categories.describe('Only these categories, e.g. ["career"]'),
        type: search.type.describe('semantic (lasting facts) or episodic (events)'),
        user_id: userId,
      },
      annotations: { readOnlyHint: true },
    },
    guarded(async ({ user_id, ...request }) => {
      const result = await api.memories.search({ ...request, include_bio: false }, { userId: user_id });
      if (result.memories.length === 0) return ok('No memories match.', result);
      const lines = result.memories.map((m: SearchHit, i: number) => `${i + 1}. ${line(m)}`);
      return ok(lines.join('\n'), result);
    }),
  );

  server.registerTool(
    'list_memories',
    {
      title: 'List memories',
      description: 'List the user\'s memories, newest first, a page at a time, optionally of some categories or one type.',
      inputSchema: {
        page: listQuerySchema.shape.page,
        page_size: listQuerySchema.shape.page_size,
        categories: search.categories,
        type: search.type,
        user_id: userId,
      },
      annotations: { readOnlyHint: true },
    },
    guarded(async ({ user_id, categories, ...query }) => {
      const list = await api.memories.list({ ...query, ...(categories ? { categories: categories.join(',') } : {}), userId: user_id });
      const p = list.pagination;
      const head = `Page ${p.page} of ${Math.max(1, p.total_pages)} (${p.total_items} memories):`;
      return ok([head, ...list.data.map((m) => `- ${line(m)}`)].join('\n'), list);
    }),
  );

  server.registerTool(
    'get_memory',
    { title: 'Get a memory', description: 'One memory by id, with when it was first and last mentioned and where it came from.', inputSchema: { memory_id: memoryId, user_id: userId }, annotations: { readOnlyHint: true } },
    guarded(async ({ memory_id, user_id }) => {
      const m = await api.memories.get(memory_id, { userId: user_id });
      return ok(`${line(m)}; mentioned ${m.mentions} time(s), created ${m.created_at}, last seen ${m.last_seen_at}${m.valid_until ? `, no longer true since ${m.valid_until}` : ''}.`, m);
    }),
  );

  server.registerTool(
    'update_memory',
    {
      title: 'Correct a memory',
      description: 'Correct a memory: new wording, categories or type. Give the id and at least one of the three.',
      inputSchema: {
        memory_id: memoryId,
        memory: memoryPatchSchema.shape.memory.describe('The corrected wording'),
        categories: search.categories,
        type: search.type,
        user_id: userId,
      },
    },
    guarded(async ({ memory_id, user_id, ...patch }) => {
      const m = await api.memories.update(memory_id, patch, { userId: user_id });
      return ok(`Updated: ${line(m)}`, m);
    }),
  );

  server.registerTool(
    'delete_memory',
    { title: 'Forget a memory', description: 'Delete a memory by id, for good.', inputSchema: { memory_id: memoryId, user_id: userId }, annotations: { destructiveHint: true } },
    guarded(async ({ memory_id, user_id }) => {
      const answer = await api.memories.delete(memory_id, { userId: user_id });
      return ok(`Deleted memory ${memory_id}.`, answer);
    }),
  );

  server.registerTool(
    'get_profile',
    {
      title: 'User profile',
      description: 'What is known about the user in brief: a bio, the strongest memories per category, and counts.',
      inputSchema: { user_id: userId },
      annotations: { readOnlyHint: true },
    },
    guarded(async ({ user_id }) => {
      const p = await api.profile.get({ userId: user_id });
      const sections = Object.entries(p.profiles).map(([category, c]) => `${category} (${c.count}): ${c.top_memories.map((m) => m.memory).join('; ')}`);
      return ok([p.user_bio || 'No bio yet: nothing is remembered about this user.', ...sections].join('\n'), p);
    }),
  );

  server.registerTool(
    'get_job',
    { title: 'Job status', description: 'The state of an add_memory job, and the memories it created once completed.', inputSchema: { job_id: z.string().min(1).max(128), user_id: userId }, annotations: { readOnlyHint: true } },
    guarded(async ({ job_id, user_id }) => {
      const job = await api.jobs.get(job_id, { userId: user_id });
      return ok(jobText(job), job);
    }),
  );
}

export type { StoreMemoriesResult };
