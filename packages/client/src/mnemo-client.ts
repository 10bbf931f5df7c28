import createClient, { type Client } from 'openapi-fetch';
import type { components, operations, paths } from './generated/openapi';
import { MnemoApiError } from './mnemo-api-error';
import { delayFor, retryable, retryAfterMs, type RetryOptions } from './retry-policy';

type Schemas = components['schemas'];
type Body<Op extends keyof operations> = operations[Op] extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
type Query<Op extends keyof operations> = operations[Op] extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

export type Memory = Schemas['Memory'];
export type SearchHit = Schemas['SearchHit'];
export type SearchResult = Schemas['SearchResult'];
export type StoreMemoriesResult = Schemas['StoreMemoriesResult'];
export type JobAccepted = Schemas['JobAccepted'];
export type Job = Schemas['Job'];
export type UserProfile = Schemas['UserProfile'];
export type MemoryList = Schemas['MemoryList'];
export type BatchAccepted = Schemas['BatchAccepted'];
export type Conversation = Body<'storeMemories'>;
export type SearchRequest = Body<'searchMemories'>;
export type ListQuery = Query<'listMemories'>;
export type MemoryPatch = Body<'updateMemory'>;

export interface MnemoClientOptions {
  /** The deployment, e.g. http://localhost:8080. */
  url: string;
  apiKey: string;
  /** How the key is sent (default X-API-Key). */
  auth?: 'x-api-key' | 'bearer';
  retry?: RetryOptions;
  /** Bound on one try of one request (default 60 s; a synchronous store waits up to the server's MNEMO_SYNC_WAIT_MS). */
  timeoutMs?: number;
  /** A fetch of your own (tests, proxies); default the global one. */
  fetch?: typeof fetch;
}

/** For service keys: the user a call acts for. */
export interface ActingUser {
  userId?: string;
}

const TERMINAL = new Set(['completed', 'failed']);

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/**
 * The mnemo HTTP API, typed from its OpenAPI document. Every call waits
 * out 429 and 5xx answers (honouring Retry-After) and network errors, a
 * bounded number of times: every write of the API is idempotent (a
 * conversation is one job however often it is posted), so a retry never
 * stores twice. Error answers throw MnemoApiError with the API's code.
 */
export class MnemoClient {
  private readonly api: Client<paths>;
  private readonly retry: RetryOptions;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;

  constructor(options: MnemoClientOptions) {
    this.retry = options.retry ?? {};
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.fetchFn = options.fetch ?? globalThis.fetch;
    const headers = options.auth === 'bearer' ? { authorization: `Bearer ${options.apiKey}` } : { 'x-api-key': options.apiKey };
    this.api = createClient<paths>({ baseUrl: options.url.replace(/\/+$/, ''), headers, fetch: (request: Request) => this.send(request) });
  }

  /** One request, tried again while the answer says to wait. */
  private async send(request: Request): Promise<Response> {
    const attempts = this.retry.attempts ?? 4;
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await this.fetchFn(request.clone(), { signal: AbortSignal.timeout(this.timeoutMs) });
      } catch (err) {
        // Duck-typed: fetch's errors may come from another realm (test runners, bundlers), failing instanceof.
        const failure = err as { cause?: { code?: string }; message?: string } | undefined;
        const reason = failure?.cause?.code ?? failure?.message ?? String(err);
        if (attempt >= attempts) throw new MnemoApiError(0, 'NETWORK_ERROR', `${request.method} ${new URL(request.url).pathname}: ${reason}`);
        await this.wait(attempt, null, null, `server unreachable (${reason})`);
        continue;
      }
      if (!retryable(response.status) || attempt >= attempts) return response;
      const after = retryAfterMs(response.headers.get('retry-after'));
      await response.body?.cancel();
      await this.wait(attempt, after, response.status, `server answered ${response.status}`);
    }
  }

  private async wait(attempt: number, retryAfter: number | null, status: number | null, reason: string): Promise<void> {
    const waitMs = delayFor(attempt, retryAfter, this.retry);
    this.retry.onRetry?.({ attempt, waitMs, status, reason });
    await sleep(waitMs);
  }

  /** The body of a 2xx answer, or the error answer as a MnemoApiError. */
  private async unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
    const { data, error, response } = await call;
    if (!response.ok) throw MnemoApiError.from(response.status, error, retryAfterMs(response.headers.get('retry-after')));
    return data as T;
  }

  readonly memories = {
    /**
     * Stores a conversation. Waits for the job and returns what it stored
     * (200), or with `async` (or past the server's wait bound) returns the
     * accepted job (202): follow it with jobs.wait.
     */
    store: (conversation: Conversation, options: ActingUser & { async?: boolean; idempotencyKey?: string } = {}): Promise<StoreMemoriesResult | JobAccepted> =>
      this.unwrap(
        this.api.POST('/v1/memories', {
          params: { query: options.async ? { async: 'true' } : {}, header: options.idempotencyKey ? { 'Idempotency-Key': options.idempotencyKey } : {} },
          body: { ...conversation, ...(options.userId ? { user_id: options.userId } : {}) },
        }),
      ),
    /** Many conversations at once (always asynchronous); each may carry its own idempotency_key. */
    batch: (conversations: Body<'storeMemoriesBatch'>['conversations']): Promise<BatchAccepted> =>
      this.unwrap(this.api.POST('/v1/memories/batch', { body: { conversations } })),
    search: (request: string | SearchRequest, options: ActingUser = {}): Promise<SearchResult> =>
      this.unwrap(
        this.api.POST('/v1/memories/search', {
          body: { ...(typeof request === 'string' ? { query: request } : request), ...(options.userId ? { user_id: options.userId } : {}) } as SearchRequest,
        }),
      ),
    list: (query: ListQuery & ActingUser = {}): Promise<MemoryList> => {
      const { userId, ...rest } = query;
      return this.unwrap(this.api.GET('/v1/memories', { params: { query: { ...rest, ...(userId ? { user_id: userId } : {}) } } }));
    },
    get: (id: string, options: ActingUser = {}): Promise<Memory> =>
      this.unwrap(this.api.GET('/v1/memories/{id}', { params: { path: { id }, query: options.userId ? { user_id: options.userId } : {} } })),
    update: (id: string, patch: Omit<MemoryPatch, 'user_id'>, options: ActingUser = {}): Promise<Memory> =>
      this.unwrap(
        this.api.PATCH('/v1/memories/{id}', { params: { path: { id } }, body: { ...patch, ...(options.userId ? { user_id: options.userId } : {}) } as MemoryPatch }),
      ),
    delete: (id: string, options: ActingUser & { erase?: boolean } = {}) =>
      this.unwrap(
        this.api.DELETE('/v1/memories/{id}', {
          params: { path: { id }, query: { ...(options.userId ? { user_id: options.userId } : {}), ...(options.erase ? { erase: 'true' as const } : {}) } },
        }),
      ),
    batchDelete: (memoryIds: string[], options: ActingUser = {}) =>
      this.unwrap(this.api.POST('/v1/memories/batch-delete', { body: { memory_ids: memoryIds, ...(options.userId ? { user_id: options.userId } : {}) } })),
    history: (id: string, options: ActingUser = {}) =>
      this.unwrap(this.api.GET('/v1/memories/{id}/history', { params: { path: { id }, query: options.userId ? { user_id: options.userId } : {} } })),
  };

  readonly jobs = {
    get: (id: string, options: ActingUser = {}): Promise<Job> =>
      this.unwrap(this.api.GET('/v1/jobs/{id}', { params: { path: { id }, query: options.userId ? { user_id: options.userId } : {} } })),
    /** The state of many jobs in one request (up to 1,000). */
    status: (ids: string[], options: ActingUser = {}) =>
      this.unwrap(this.api.POST('/v1/jobs/status', { body: { job_ids: ids, ...(options.userId ? { user_id: options.userId } : {}) } })),
    /**
     * Polls the job until it has completed or failed, and returns it (a
     * failed job is returned, not thrown: its error is in `error`). Past
     * `timeoutMs` it throws MnemoApiError TIMEOUT; the job goes on.
     */
    wait: async (id: string, options: ActingUser & { timeoutMs?: number; pollMs?: number; signal?: AbortSignal } = {}): Promise<Job> => {
      const deadline = Date.now() + (options.timeoutMs ?? 60_000);
      for (;;) {
        const job = await this.jobs.get(id, options);
        if (TERMINAL.has(job.status)) return job;
        if (options.signal?.aborted) throw new MnemoApiError(0, 'ABORTED', `stopped waiting for job ${id}`);
        if (Date.now() >= deadline) throw new MnemoApiError(0, 'TIMEOUT', `job ${id} is still ${job.status} after ${options.timeoutMs ?? 60_000} ms`);
        await sleep(Math.min(options.pollMs ?? 500, Math.max(0, deadline - Date.now())), options.signal);
      }
    },
  };

  readonly profile = {
    get: (options: ActingUser & { refresh?: boolean } = {}): Promise<UserProfile> =>
      this.unwrap(
        this.api.GET('/v1/users/profile', {
          params: { query: { ...(options.userId ? { user_id: options.userId } : {}), ...(options.refresh ? { refresh: 'true' as const } : {}) } },
        }),
      ),
  };

  readonly categories = {
    list: (options: ActingUser = {}) => this.unwrap(this.api.GET('/v1/categories', { params: { query: options.userId ? { user_id: options.userId } : {} } })),
  };
}
