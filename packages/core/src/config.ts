import { z } from 'zod';
import { DEFAULT_MAX_CONVERSATION_BYTES } from './conversation-limits';

/**
 * Every setting mnemo reads from the environment, parsed once. Names here
 * are a contract with outside scripts (README, docker-compose, CI).
 */
const intFrom = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);

const ROLES = ['user', 'service', 'admin'] as const;
export type KeyRole = (typeof ROLES)[number];
export const KEY_ROLES = ROLES;

export interface BootstrapKey {
  key: string;
  userId: string;
  role: KeyRole;
}

/** Bootstrap keys shorter than this are refused: a short key can be guessed. Generated keys are 38. */
export const MIN_BOOTSTRAP_KEY_LENGTH = 24;

const bootstrapKeys = z
  .string()
  .optional()
  .transform((raw, ctx): BootstrapKey[] => {
    if (!raw || raw.trim() === '') return [];
    const keys: BootstrapKey[] = [];
    for (const entry of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
      const [key, userId, role = 'user', ...rest] = entry.split(':');
      if (!key || !userId || rest.length > 0 || !(ROLES as readonly string[]).includes(role)) {
        ctx.addIssue({
          code: 'custom',
          message: `entry "${entry.replace(/^[^:]*/, '***')}" must be key:user_id[:user|service|admin]`,
        });
        return z.NEVER;
      }
      if (key.length < MIN_BOOTSTRAP_KEY_LENGTH) {
        ctx.addIssue({ code: 'custom', message: `entry "***:${userId}": the key must be at least ${MIN_BOOTSTRAP_KEY_LENGTH} characters` });
        return z.NEVER;
      }
      keys.push({ key, userId, role: role as KeyRole });
    }
    return keys;
  });

const customCategories = z
  .string()
  .optional()
  .transform((raw, ctx): { name: string; description: string }[] => {
    if (!raw || raw.trim() === '') return [];
    const entries: { name: string; description: string }[] = [];
    for (const entry of raw.split(';').map((s) => s.trim()).filter(Boolean)) {
      const split = entry.indexOf(':');
      const name = (split < 0 ? entry : entry.slice(0, split)).trim().toLowerCase();
      const description = split < 0 ? '' : entry.slice(split + 1).trim();
      if (!/^[a-z][a-z0-9_-]{1,63}$/.test(name) || !description) {
        ctx.addIssue({ code: 'custom', message: `entry "${entry}" must be name:description (name: a-z, 0-9, _ or -)` });
        return z.NEVER;
      }
      entries.push({ name, description });
    }
    return entries;
  });

/** "true" or "false" (also 1/0, yes/no) as a boolean. */
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .optional()
    .transform((v) => (v === undefined ? fallback : ['true', '1', 'yes'].includes(v)));

export const EMBEDDERS = ['words', 'hashing', 'onnx', 'voyage', 'openai'] as const;
export type EmbedderName = (typeof EMBEDDERS)[number];

/**
 * The embedder in force: the one named, else the first provider with
 * credentials, else the offline word vectors. "local" is the hashing
 * embedder's name before word vectors came, kept so old settings still mean it.
 */
function chosenEmbedder(cfg: { MNEMO_EMBEDDER?: EmbedderName | 'local'; VOYAGE_API_KEY?: string; MNEMO_EMBEDDINGS_URL?: string }): EmbedderName {
  if (cfg.MNEMO_EMBEDDER === 'local') return 'hashing';
  return cfg.MNEMO_EMBEDDER ?? (cfg.VOYAGE_API_KEY ? 'voyage' : cfg.MNEMO_EMBEDDINGS_URL ? 'openai' : 'words');
}

export const EXTRACTORS = ['offline', 'claude', 'openai-compatible'] as const;
export type ExtractorName = (typeof EXTRACTORS)[number];
export const LLM_PROVIDERS = ['anthropic', 'openai-compatible'] as const;

/**
 * The extractor in force: the one named, else the model provider named
 * (MNEMO_LLM_PROVIDER), else Claude when it has a key, else offline.
 */
function chosenExtractor(cfg: { MNEMO_EXTRACTOR?: ExtractorName; MNEMO_LLM_PROVIDER?: (typeof LLM_PROVIDERS)[number]; ANTHROPIC_API_KEY?: string }): ExtractorName {
  if (cfg.MNEMO_EXTRACTOR) return cfg.MNEMO_EXTRACTOR;
  if (cfg.MNEMO_LLM_PROVIDER) return cfg.MNEMO_LLM_PROVIDER === 'anthropic' ? 'claude' : 'openai-compatible';
  return cfg.ANTHROPIC_API_KEY ? 'claude' : 'offline';
}

/** Whether extraction (and so reconciliation, bios and the daily budget) goes through a model. */
export function usesModel(config: { MNEMO_EXTRACTOR: ExtractorName }): boolean {
  return config.MNEMO_EXTRACTOR !== 'offline';
}

/** `host:port,host:port…` (REDIS_SENTINELS, REDIS_CLUSTER_NODES); empty or unset: none. */
const hostPorts = z
  .string()
  .optional()
  .transform((raw, ctx): { host: string; port: number }[] => {
    if (!raw || raw.trim() === '') return [];
    const nodes: { host: string; port: number }[] = [];
    for (const entry of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
      const match = /^(.+):(\d{1,5})$/.exec(entry);
      if (!match || Number(match[2]) > 65535) {
        ctx.addIssue({ code: 'custom', message: `entry "${entry}" must be host:port` });
        return z.NEVER;
      }
      nodes.push({ host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(match[2]) });
    }
    return nodes;
  });

/**
 * On a Redis Cluster every key of one BullMQ queue must sit in one hash
 * slot, and mnemo's scripts and transactions touch several of its keys at
 * once: a prefix that is a hash tag (`{mnemo}`) puts all of them in one.
 */
export function hasHashTag(prefix: string): boolean {
  return /^[^{]*\{[^}]+\}/.test(prefix);
}

/**
 * Each setting's `.describe()` text is its documentation: `.env.example`
 * (`mnemo config example`) is generated from it, so the two cannot drift.
 */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development').describe('development, production or test; production logs JSON.'),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info').describe('Least severe log level written.'),
  LOG_FORMAT: z.enum(['json', 'pretty']).optional().describe('json (one object a line) or pretty; unset: json in production, pretty elsewhere.'),

  PORT: intFrom(8080).pipe(z.number().max(65535)).describe('Port of the HTTP API.'),
  HOST: z.string().default('0.0.0.0').describe('Address the HTTP API listens on.'),
  // The embedded store answers a search synchronously, so one process runs one search at a time.
  MNEMO_API_PROCESSES: intFrom(1, 1).describe(
    'API processes sharing PORT (node:cluster); more use more cores. Each keeps its own 5 s cache of verified keys.',
  ),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379').describe('Redis holding the queues, keys and counters (redis:// or rediss://).'),
  REDIS_SENTINELS: hostPorts.describe('Redis Sentinels (host:port, comma-separated): mnemo asks them for the primary and follows failovers. REDIS_URL then gives only the password and db.'),
  REDIS_SENTINEL_MASTER: z.string().min(1).default('mymaster').describe('The master name the Sentinels monitor.'),
  REDIS_SENTINEL_PASSWORD: z.string().min(1).optional().describe('Password of the Sentinels themselves, when they ask for one.'),
  REDIS_CLUSTER_NODES: hostPorts.describe(
    'Redis Cluster seed nodes (host:port, comma-separated): mnemo discovers the rest. MNEMO_QUEUE_PREFIX must then be a hash tag such as {mnemo}; REDIS_URL gives only the password.',
  ),
  MNEMO_REDIS_WAIT_REPLICAS: intFrom(1).describe(
    'Replicas that must hold a new job before the API answers 202 (Redis WAIT), at most those connected: none waits on a lone Redis (0: never wait).',
  ),
  MNEMO_REDIS_WAIT_TIMEOUT_MS: intFrom(1_000, 10).describe('How long the API waits for those replicas; past it the request gets 503 and may be retried safely.'),
  MNEMO_DATA_DIR: z.string().min(1).default('./data').describe('Where the embedded store (sqlite) keeps its files.'),
  MNEMO_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}.-]+$/, 'letters, digits, _ . - and {} only')
    .default('mnemo')
    .describe('Prefix of every Redis key; API keys, queues and counters of one deployment share it.'),
  MNEMO_API_KEYS: bootstrapKeys.describe(
    `Bootstrap keys: key:user_id[:user|service|admin], comma-separated, each at least ${MIN_BOOTSTRAP_KEY_LENGTH} characters.`,
  ),

  MNEMO_AUTH_FAILURES_PER_MINUTE: intFrom(20).describe(
    'Failed authentications per minute from one address, and at one key prefix, before both get 429 for the minute (0: no throttle).',
  ),

  MNEMO_REQUIRE_NOEVICTION: flag(false).describe('Refuse to start (instead of warning) when Redis may evict keys (maxmemory-policy not noeviction).'),
  MNEMO_REDIS_CONNECT_TIMEOUT_MS: intFrom(10_000, 100).describe('How long a process waits for Redis at start-up before giving up with advice.'),
  MNEMO_SYNC_WAIT_MS: intFrom(25_000).describe('How long POST /v1/memories waits for its job before answering 202.'),
  MNEMO_MAX_BODY_BYTES: intFrom(DEFAULT_MAX_CONVERSATION_BYTES, 1024).describe(
    'Largest conversation in bytes of UTF-8 JSON, however it arrives (POST /v1/memories, a batch, the importer).',
  ),
  // Shared by every API process through Redis.
  MNEMO_RATE_LIMIT_STORE: intFrom(100).describe('POST /v1/memories per user per minute (0: no limit).'),
  MNEMO_RATE_LIMIT_SEARCH: intFrom(50).describe('Searches per user per minute (0: no limit).'),
  MNEMO_RATE_LIMIT_BATCH: intFrom(600).describe('POST /v1/memories/batch requests per user per minute, while under the store budget (0: no limit).'),
  MNEMO_RATE_LIMIT_READ: intFrom(600).describe('GET requests per user per minute (0: no limit).'),
  MNEMO_RATE_LIMIT_WRITE: intFrom(120).describe('Edits, deletes, webhook and job-status requests per user per minute (0: no limit).'),
  MNEMO_LLM_DAILY_CONVERSATIONS: intFrom(2_000).describe('With a model extractor: conversations per user per day sent to the model (0: no cap).'),
  MNEMO_BATCH_MAX_ITEMS: intFrom(500, 1).pipe(z.number().max(10_000)).describe('Conversations one POST /v1/memories/batch may carry.'),
  MNEMO_BATCH_MAX_BODY_BYTES: intFrom(26_214_400, 1024).describe('Largest body of POST /v1/memories/batch, in bytes.'),
  // Live requests are never refused for backpressure, only batches.
  MNEMO_BACKPRESSURE_MAX_WAITING: intFrom(50_000, 1).describe(
    'Ingest jobs waiting over which a user above their equal share gets 503 on batches; at twice this, every batch does.',
  ),
  MNEMO_BACKPRESSURE_MAX_BYTES: intFrom(268_435_456, 1024).describe('The same bound in bytes of conversation waiting.'),
  MNEMO_BACKPRESSURE_RETRY_AFTER_S: intFrom(10, 1).describe('Retry-After (seconds) of a batch refused for backpressure.'),

  MNEMO_WORKER_CONCURRENCY: intFrom(4, 1).describe('Jobs one worker process runs at once.'),
  MNEMO_JOB_ATTEMPTS: intFrom(5, 1).describe('Attempts of a job before it fails for good.'),
  MNEMO_JOB_BACKOFF_MS: intFrom(1_000).describe('First retry delay; doubles each attempt, with jitter.'),
  MNEMO_KEEP_COMPLETED_SECONDS: intFrom(24 * 3600).describe('How long completed jobs stay readable in Redis.'),
  MNEMO_KEEP_COMPLETED_COUNT: intFrom(10_000).describe('At most this many completed jobs are kept.'),
  MNEMO_KEEP_FAILED_SECONDS: intFrom(7 * 24 * 3600).describe('How long failed jobs are kept for inspection and retry.'),
  MNEMO_KEEP_FAILED_COUNT: intFrom(50_000).describe('At most this many failed jobs are kept.'),
  MNEMO_SHUTDOWN_TIMEOUT_MS: intFrom(10_000).describe('Bound on a graceful shutdown; jobs still running then are handed back to the queue.'),
  MNEMO_USER_LEASE_MS: intFrom(30_000, 1_000).describe("Lease on a user's memories while a job reconciles and writes; renewed while held."),
  MNEMO_USER_LEASE_WAIT_MS: intFrom(120_000, 100).describe('How long a job waits for another job of the same user to finish writing before it retries later.'),

  // Rotation: move the old key to MNEMO_PAYLOAD_OLD_KEYS (open only) and set a new one.
  MNEMO_PAYLOAD_KEY: z
    .string()
    .optional()
    .refine((v) => v === undefined || /^[0-9a-fA-F]{64}$/.test(v.trim()) || Buffer.from(v.trim(), 'base64').length === 32, 'must be 32 bytes: 64 hex digits or base64')
    .describe('Encrypts conversation text in Redis with AES-256-GCM: 32 bytes as 64 hex digits or base64.'),
  MNEMO_PAYLOAD_OLD_KEYS: z
    .string()
    .optional()
    .transform((v) => (v ? v.split(',').map((k) => k.trim()).filter(Boolean) : []))
    .describe('Former payload keys, comma-separated: used to open, never to seal.'),
  MNEMO_KEEP_COMPLETED_TEXT_SECONDS: intFrom(0).describe('Completed jobs drop their conversation text after this many seconds (0: at completion).'),

  MNEMO_WEBHOOK_ATTEMPTS: intFrom(8, 1).describe('Delivery attempts of a webhook event.'),
  MNEMO_WEBHOOK_BACKOFF_MS: intFrom(2_000, 10).describe('First webhook retry delay; doubles each attempt.'),
  MNEMO_WEBHOOK_TIMEOUT_MS: intFrom(10_000, 100).describe('Timeout of one webhook call.'),
  MNEMO_WEBHOOK_ALLOWED_HOSTS: z
    .string()
    .optional()
    .transform((v) => (v ? v.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean) : []))
    .describe('Only these hosts may receive webhooks (comma-separated); unset: any public host.'),
  MNEMO_WEBHOOK_ALLOW_PRIVATE: flag(false).describe('Let webhooks reach loopback and private addresses (development and tests only).'),

  MNEMO_ADMIN_READ_ONLY: flag(false).describe('The dashboard and Bull Board only show; nothing can be retried or removed.'),
  // Conversations are personal data.
  MNEMO_ADMIN_SHOW_CONTENT: flag(false).describe('Operators see message and memory texts in job data.'),
  MNEMO_ADMIN_SESSION_HOURS: intFrom(12, 1).describe('How long an admin login lasts.'),
  MNEMO_ADMIN_PORT: intFrom(0)
    .pipe(z.number().max(65535))
    .describe('Serve the dashboard (/admin) on this port instead of PORT, to keep it off the public network (0: on PORT).'),
  MNEMO_WORKER_PORT: intFrom(0).pipe(z.number().max(65535)).describe('Worker processes serve /healthz, /readyz and /metrics on this port (0: no server).'),
  MNEMO_JOB_LOCK_MS: intFrom(30_000, 1_000).describe('A job whose worker stops renewing its lock this long is stalled and handed to another worker.'),

  MNEMO_PROFILE_DEBOUNCE_MS: intFrom(2_000).describe("After memories change, the user's profile is rebuilt once this long after the last change."),
  MNEMO_CUSTOM_CATEGORIES: customCategories.describe('Extra categories: "name:description;name:description".'),

  MNEMO_STORE: z.enum(['sqlite', 'qdrant']).default('sqlite').describe('sqlite: embedded file in MNEMO_DATA_DIR. qdrant: a Qdrant server or cluster at QDRANT_URL.'),
  QDRANT_URL: z.url().optional().describe('Qdrant URL (required with MNEMO_STORE=qdrant).'),
  QDRANT_API_KEY: z.string().min(1).optional().describe('Qdrant API key, when the server asks for one.'),
  MNEMO_QDRANT_COLLECTION: z.string().regex(/^[A-Za-z0-9_-]{1,255}$/).default('mnemo_memories').describe('Qdrant collection holding the memories.'),
  // Applied when mnemo creates the collection; a cluster spreads shards and replicas across nodes.
  MNEMO_QDRANT_SHARDS: intFrom(1, 1).describe('Shards of a collection mnemo creates.'),
  MNEMO_QDRANT_REPLICATION_FACTOR: intFrom(1, 1).describe('Copies of each shard in a Qdrant cluster.'),
  MNEMO_QDRANT_WRITE_CONSISTENCY: intFrom(1, 1).describe('Replicas that must acknowledge a write.'),
  MNEMO_EXTRACTOR: z
    .enum(EXTRACTORS)
    .optional()
    .describe('offline (rule-based, no network), claude or openai-compatible; unset: as MNEMO_LLM_PROVIDER says, else claude when ANTHROPIC_API_KEY is set, else offline.'),
  MNEMO_LLM_PROVIDER: z
    .enum(LLM_PROVIDERS)
    .optional()
    .describe('The model that extracts: anthropic (Claude) or openai-compatible (Ollama, vLLM, llama.cpp, LM Studio, any OpenAI-format server).'),
  ANTHROPIC_API_KEY: z.string().min(1).optional().describe('Anthropic API key for the Claude extractor.'),
  ANTHROPIC_BASE_URL: z.url().optional().describe("Anthropic API base URL; unset: Anthropic's own."),
  MNEMO_CLAUDE_MODEL: z.string().min(1).default('claude-haiku-4-5').describe('Claude model that extracts and reconciles.'),
  MNEMO_CLAUDE_MAX_TOKENS: intFrom(4_096, 256).describe('Largest answer of one model call, in tokens.'),
  MNEMO_CLAUDE_TIMEOUT_MS: intFrom(60_000, 1_000).describe('Timeout of one model call.'),
  MNEMO_LLM_BASE_URL: z
    .url()
    .default('http://127.0.0.1:11434/v1')
    .describe("OpenAI-compatible provider: the server's base URL (…/v1); the default is Ollama's on this host."),
  MNEMO_LLM_MODEL: z.string().min(1).default('qwen2.5:7b-instruct').describe('OpenAI-compatible provider: the model that extracts and reconciles.'),
  MNEMO_LLM_API_KEY: z.string().min(1).optional().describe('OpenAI-compatible provider: API key, if the server needs one.'),
  MNEMO_LLM_OUTPUT: z
    .enum(['auto', 'json_schema', 'tools', 'json'])
    .default('auto')
    .describe(
      'OpenAI-compatible provider: how the answer is asked for: json_schema (structured output), tools (a forced tool call), json (plain JSON, repaired once); auto starts with json_schema and steps down when the server refuses.',
    ),
  MNEMO_LLM_TIMEOUT_MS: intFrom(120_000, 1_000).describe('OpenAI-compatible provider: timeout of one model call (local models are slower).'),
  MNEMO_LLM_MAX_TOKENS: intFrom(4_096, 256).describe('OpenAI-compatible provider: largest answer of one model call, in tokens.'),
  MNEMO_LLM_MODE: z
    .enum(['sync', 'batch'])
    .default('sync')
    .describe('sync: one Messages API call per chunk. batch: Message Batches API (half price, slower), for imports.'),
  MNEMO_LLM_BATCH_WINDOW_MS: intFrom(30_000).describe('Batch mode: conversations gathered this long go into one batch.'),
  MNEMO_LLM_BATCH_POLL_MS: intFrom(60_000, 10).describe('Batch mode: how often an open batch is checked.'),
  MNEMO_LLM_BATCH_MAX_WAIT_MS: intFrom(26 * 3600 * 1000, 1000).describe('Batch mode: a conversation still without an answer after this long is extracted synchronously.'),
  MNEMO_LLM_MAX_RPM: z.coerce.number().int().min(1).optional().describe('Fleet-wide cap on model requests per minute, shared by every worker through Redis; unset: none.'),
  MNEMO_EMBEDDER: z
    .enum([...EMBEDDERS, 'local'])
    .optional()
    .describe(
      'words (offline word vectors), hashing (no vectors to load; "local" is its old name), onnx (a sentence-embedding model run in-process on CPU), voyage or openai; unset: voyage with VOYAGE_API_KEY, openai with MNEMO_EMBEDDINGS_URL, else words.',
    ),
  MNEMO_EMBEDDING_MODEL: z
    .string()
    // Segments never start with a dot: the id becomes a path under the models directory.
    .regex(/^(?!\.)[\w.-]+(\/(?!\.)[\w.-]+)?$/, 'must be a model id such as Xenova/all-MiniLM-L6-v2')
    .default('Xenova/all-MiniLM-L6-v2')
    .describe('onnx embedder: the model id on the Hugging Face Hub (with ONNX weights), fetched into MNEMO_MODELS_DIR on first use or by `mnemo models pull`.'),
  MNEMO_EMBEDDING_MODEL_PATH: z
    .string()
    .min(1)
    .optional()
    .describe('onnx embedder: a local model directory (config.json, tokenizer.json, onnx/model.onnx) used instead of MNEMO_EMBEDDING_MODEL, for air-gapped hosts.'),
  MNEMO_EMBEDDING_DTYPE: z
    .enum(['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'bnb4', 'q4f16'])
    .default('fp32')
    .describe('onnx embedder: which weights to load (fp32 is onnx/model.onnx; q8 is onnx/model_quantized.onnx, smaller and faster, a little less exact).'),
  MNEMO_EMBEDDING_POOLING: z
    .enum(['auto', 'mean', 'cls'])
    .default('auto')
    .describe("onnx embedder: auto follows the model's sentence-transformers files (1_Pooling/config.json, a Normalize module); models without them get mean pooling, normalised."),
  MNEMO_EMBEDDING_QUERY_PREFIX: z
    .string()
    .default('')
    .describe('onnx embedder: text put before every search query, for models trained with one (BGE: "Represent this sentence for searching relevant passages: ", E5: "query: ").'),
  MNEMO_EMBEDDING_DOCUMENT_PREFIX: z.string().default('').describe('onnx embedder: text put before every memory embedded (E5: "passage: ").'),
  MNEMO_MODELS_DIR: z.string().min(1).optional().describe('Where fetched models are kept; unset: node_modules/.cache/mnemo/models.'),
  MNEMO_MODEL_HUB_URL: z.url().default('https://huggingface.co/').describe('Where models are fetched from: the Hugging Face Hub or a mirror that serves its {model}/resolve/{revision}/{file} paths.'),
  MNEMO_MODEL_DOWNLOADS: flag(true).describe('onnx embedder: fetch a missing model at start-up; false: only a pulled or local model is used, and a missing one is an error.'),
  MNEMO_EMBEDDING_DIM: intFrom(256, 16).pipe(z.number().max(4096)).describe('Vector size of the hashing embedder.'),
  MNEMO_WORD_VECTORS_CACHE_DIR: z.string().min(1).optional().describe("Where the word vectors' binary cache is kept; unset: node_modules/.cache/mnemo."),
  VOYAGE_API_KEY: z.string().min(1).optional().describe('Voyage AI API key for the voyage embedder.'),
  VOYAGE_BASE_URL: z.url().default('https://api.voyageai.com/v1').describe('Voyage AI API base URL.'),
  VOYAGE_MODEL: z.string().min(1).default('voyage-3.5').describe('Voyage embedding model.'),
  VOYAGE_OUTPUT_DIMENSION: z.coerce.number().int().min(1).optional().describe("Shorter vectors where the model supports it (256, 512, 1024, 2048); unset: the model's default."),
  MNEMO_EMBEDDINGS_URL: z.url().optional().describe('Any OpenAI-compatible embeddings API: its base URL (…/v1) or the full …/v1/embeddings URL.'),
  MNEMO_EMBEDDINGS_API_KEY: z.string().min(1).optional().describe('API key of that embeddings API, if it needs one.'),
  MNEMO_EMBEDDINGS_MODEL: z.string().min(1).optional().describe('Embedding model name (required with MNEMO_EMBEDDER=openai).'),
  MNEMO_EMBEDDINGS_DIM: z.coerce.number().int().min(1).optional().describe('Vector size of that model; unset: asked of the provider at start-up.'),
  MNEMO_EMBEDDINGS_BATCH_SIZE: intFrom(128, 1).pipe(z.number().max(1000)).describe('Texts per embeddings request.'),
  MNEMO_EMBEDDINGS_MAX_RETRIES: intFrom(4).describe('Retries of a failed embeddings request.'),
  MNEMO_EMBEDDINGS_TIMEOUT_MS: intFrom(30_000, 100).describe('Timeout of one embeddings request.'),
  MNEMO_CHUNK_TOKENS: intFrom(4_000, 200).describe('Conversations longer than this many (estimated) tokens are split into chunks, one extraction call each.'),

  MNEMO_FAULT_STAGE_DELAY_MS: intFrom(0).describe('Fault injection: sleep this long inside every pipeline stage (tests and demos; 0 in production).'),
}).superRefine((cfg, ctx) => {
  if (cfg.REDIS_CLUSTER_NODES.length > 0 && !hasHashTag(cfg.MNEMO_QUEUE_PREFIX)) {
    ctx.addIssue({
      code: 'custom',
      path: ['MNEMO_QUEUE_PREFIX'],
      message: 'must hold a hash tag on a Redis Cluster (REDIS_CLUSTER_NODES), so every key of mnemo lands in one slot: set MNEMO_QUEUE_PREFIX={mnemo}',
    });
  }
  if (cfg.REDIS_CLUSTER_NODES.length > 0 && cfg.REDIS_SENTINELS.length > 0) {
    ctx.addIssue({ code: 'custom', path: ['REDIS_CLUSTER_NODES'], message: 'and REDIS_SENTINELS exclude each other; set one of the two' });
  }
  if (cfg.MNEMO_STORE === 'qdrant' && !cfg.QDRANT_URL) {
    ctx.addIssue({ code: 'custom', path: ['QDRANT_URL'], message: 'is required when MNEMO_STORE=qdrant' });
  }
  const extractor = chosenExtractor(cfg);
  if (cfg.MNEMO_LLM_MODE === 'batch' && extractor === 'openai-compatible') {
    ctx.addIssue({ code: 'custom', path: ['MNEMO_LLM_MODE'], message: "batch is Claude's Message Batches API; the openai-compatible provider runs in sync mode" });
  } else if (cfg.MNEMO_LLM_MODE === 'batch' && !cfg.ANTHROPIC_API_KEY) {
    ctx.addIssue({ code: 'custom', path: ['MNEMO_LLM_MODE'], message: 'batch needs the Claude extractor (set ANTHROPIC_API_KEY)' });
  }
  if (extractor === 'claude' && !cfg.ANTHROPIC_API_KEY) {
    const by = cfg.MNEMO_EXTRACTOR ? 'MNEMO_EXTRACTOR=claude' : 'MNEMO_LLM_PROVIDER=anthropic';
    ctx.addIssue({ code: 'custom', path: ['ANTHROPIC_API_KEY'], message: `is required when ${by}` });
  }
  const provider = cfg.MNEMO_LLM_PROVIDER;
  if (cfg.MNEMO_EXTRACTOR && cfg.MNEMO_EXTRACTOR !== 'offline' && provider && (provider === 'anthropic') !== (cfg.MNEMO_EXTRACTOR === 'claude')) {
    ctx.addIssue({ code: 'custom', path: ['MNEMO_LLM_PROVIDER'], message: `${provider} contradicts MNEMO_EXTRACTOR=${cfg.MNEMO_EXTRACTOR}; set one of the two` });
  }
  const embedder = chosenEmbedder(cfg);
  if (embedder === 'voyage' && !cfg.VOYAGE_API_KEY) {
    ctx.addIssue({ code: 'custom', path: ['VOYAGE_API_KEY'], message: 'is required when MNEMO_EMBEDDER=voyage' });
  }
  if (embedder === 'openai') {
    for (const name of ['MNEMO_EMBEDDINGS_URL', 'MNEMO_EMBEDDINGS_MODEL'] as const) {
      if (!cfg[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'is required when MNEMO_EMBEDDER=openai' });
    }
  }
});

export type Config = Omit<z.infer<typeof configSchema>, 'MNEMO_EMBEDDER' | 'MNEMO_EXTRACTOR'> & {
  LOG_FORMAT: 'json' | 'pretty';
  MNEMO_EMBEDDER: EmbedderName;
  MNEMO_EXTRACTOR: ExtractorName;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Variables whose values are credentials: a bad one is named, never echoed. */
const SECRET_NAME = /(KEY|KEYS|SECRET|TOKEN|PASSWORD)$/;

/** A bad value as a ConfigError may show it: secrets not at all, URLs without their credentials. */
function shownValue(name: string, value: string | undefined): string {
  if (value === undefined || SECRET_NAME.test(name)) return '';
  return ` (got "${value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1***@')}")`;
}

/** Parses the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      return `  ${name}: ${issue.message}${shownValue(name, env[name])}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const cfg = parsed.data;
  return {
    ...cfg,
    LOG_FORMAT: cfg.LOG_FORMAT ?? (cfg.NODE_ENV === 'production' ? 'json' : 'pretty'),
    MNEMO_EMBEDDER: chosenEmbedder(cfg),
    MNEMO_EXTRACTOR: chosenExtractor(cfg),
  };
}
