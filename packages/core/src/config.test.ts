import { ConfigError, hasHashTag, loadConfig } from './config';

/** Bootstrap keys long enough for the minimum. */
const K1 = 'k1-bootstrap-key-for-alice-0001';
const K2 = 'k2-bootstrap-key-for-svc-0002';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 8080,
      REDIS_URL: 'redis://127.0.0.1:6379',
      MNEMO_DATA_DIR: './data',
      MNEMO_QUEUE_PREFIX: 'mnemo',
      MNEMO_API_KEYS: [],
      LOG_FORMAT: 'pretty',
    });
    expect(loadConfig({ NODE_ENV: 'production' }).LOG_FORMAT).toBe('json');
  });

  it('names every bad variable and its value', () => {
    expect(() => loadConfig({ PORT: 'eighty', REDIS_URL: 'http://x' })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'eighty', REDIS_URL: 'http://x' });
    } catch (err) {
      expect((err as Error).message).toMatch(/PORT: .*\(got "eighty"\)/);
      expect((err as Error).message).toMatch(/REDIS_URL/);
    }
  });

  it('parses bootstrap keys with an optional role', () => {
    const { MNEMO_API_KEYS } = loadConfig({ MNEMO_API_KEYS: `${K1}:alice, ${K2}:svc:service` });
    expect(MNEMO_API_KEYS).toEqual([
      { key: K1, userId: 'alice', role: 'user' },
      { key: K2, userId: 'svc', role: 'service' },
    ]);
  });

  it('refuses bootstrap keys shorter than the minimum, without echoing them', () => {
    expect(() => loadConfig({ MNEMO_API_KEYS: 'short-key:alice' })).toThrow(/MNEMO_API_KEYS: entry "\*\*\*:alice": the key must be at least 24 characters/);
    expect(() => loadConfig({ MNEMO_API_KEYS: 'short-key:alice' })).not.toThrow(/short-key/);
    expect(() => loadConfig({ MNEMO_API_KEYS: `${'k'.repeat(24)}:alice` })).not.toThrow();
  });

  it('rejects a malformed bootstrap key without echoing the secret', () => {
    expect(() => loadConfig({ MNEMO_API_KEYS: 'secretkey:bob:superuser' })).toThrow(/MNEMO_API_KEYS: entry "\*\*\*:bob:superuser"/);
    expect(() => loadConfig({ MNEMO_API_KEYS: 'secretkey' })).not.toThrow(/secretkey/);
  });

  // Issue 13, also found: a bad MNEMO_PAYLOAD_KEY was echoed in the ConfigError.
  it('never echoes a key, a secret or the credentials of a URL', () => {
    const env = {
      MNEMO_PAYLOAD_KEY: 'payload-secret-value',
      MNEMO_PAYLOAD_OLD_KEYS: 'old-secret',
      ANTHROPIC_API_KEY: '',
      REDIS_URL: 'http://user:redis-secret@host:6379',
      PORT: 'eighty',
    };
    let message = '';
    try {
      loadConfig(env);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/MNEMO_PAYLOAD_KEY: must be 32 bytes/);
    expect(message).toMatch(/ANTHROPIC_API_KEY/);
    expect(message).toMatch(/REDIS_URL: .*\(got "http:\/\/\*\*\*@host:6379"\)/);
    expect(message).toMatch(/PORT: .*\(got "eighty"\)/);
    expect(message).not.toMatch(/payload-secret-value|redis-secret/);
  });
});

describe('Redis Sentinel settings', () => {
  it('reads the Sentinels as host:port pairs, with the master name defaulting to mymaster', () => {
    const config = loadConfig({ REDIS_SENTINELS: '10.0.0.1:26379, sentinel-b:26380,[::1]:26381' });
    expect(config.REDIS_SENTINELS).toEqual([
      { host: '10.0.0.1', port: 26379 },
      { host: 'sentinel-b', port: 26380 },
      { host: '::1', port: 26381 },
    ]);
    expect(config.REDIS_SENTINEL_MASTER).toBe('mymaster');
    expect(config.MNEMO_REDIS_WAIT_REPLICAS).toBe(1);
    expect(loadConfig({}).REDIS_SENTINELS).toEqual([]);
  });

  it('names a bad entry', () => {
    expect(() => loadConfig({ REDIS_SENTINELS: '10.0.0.1:26379,sentinel-b' })).toThrow(/REDIS_SENTINELS: entry "sentinel-b" must be host:port/);
    expect(() => loadConfig({ REDIS_SENTINELS: 'a:99999' })).toThrow(/entry "a:99999" must be host:port/);
  });
});

describe('Redis Cluster settings', () => {
  it('reads the seed nodes and takes a hash-tagged prefix', () => {
    const config = loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000,redis-b:7001', MNEMO_QUEUE_PREFIX: '{mnemo}' });
    expect(config.REDIS_CLUSTER_NODES).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-b', port: 7001 },
    ]);
    expect(loadConfig({}).REDIS_CLUSTER_NODES).toEqual([]);
    expect(hasHashTag('{mnemo}')).toBe(true);
    expect(hasHashTag('prod{mnemo}')).toBe(true);
    expect(hasHashTag('{}mnemo')).toBe(false);
  });

  it('refuses a prefix without a hash tag, naming the fix', () => {
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000' })).toThrow(/MNEMO_QUEUE_PREFIX: .*hash tag.*MNEMO_QUEUE_PREFIX=\{mnemo\}/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000', MNEMO_QUEUE_PREFIX: '{}' })).toThrow(/hash tag/);
  });

  it('refuses Sentinels and a cluster together', () => {
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'a:7000', REDIS_SENTINELS: 'b:26379', MNEMO_QUEUE_PREFIX: '{m}' })).toThrow(/REDIS_CLUSTER_NODES: and REDIS_SENTINELS exclude/);
  });
});

describe('choosing the extractor', () => {
  it('is offline with no model configured, Claude with an Anthropic key', () => {
    expect(loadConfig({}).MNEMO_EXTRACTOR).toBe('offline');
    expect(loadConfig({ ANTHROPIC_API_KEY: 'sk-ant' }).MNEMO_EXTRACTOR).toBe('claude');
  });

  it('switches to an OpenAI-compatible server with one variable, defaulting to Ollama on this host', () => {
    const config = loadConfig({ MNEMO_LLM_PROVIDER: 'openai-compatible' });
    expect(config).toMatchObject({
      MNEMO_EXTRACTOR: 'openai-compatible',
      MNEMO_LLM_BASE_URL: 'http://127.0.0.1:11434/v1',
      MNEMO_LLM_OUTPUT: 'auto',
      MNEMO_LLM_TIMEOUT_MS: 120_000,
    });
    // The provider named wins over a key left in the environment.
    expect(loadConfig({ MNEMO_LLM_PROVIDER: 'openai-compatible', ANTHROPIC_API_KEY: 'sk-ant' }).MNEMO_EXTRACTOR).toBe('openai-compatible');
    expect(loadConfig({ MNEMO_LLM_PROVIDER: 'anthropic', ANTHROPIC_API_KEY: 'sk-ant' }).MNEMO_EXTRACTOR).toBe('claude');
    expect(loadConfig({ MNEMO_EXTRACTOR: 'offline', MNEMO_LLM_PROVIDER: 'openai-compatible' }).MNEMO_EXTRACTOR).toBe('offline');
  });

  it('refuses settings that contradict each other or lack what they need', () => {
    expect(() => loadConfig({ MNEMO_LLM_PROVIDER: 'anthropic' })).toThrow(/ANTHROPIC_API_KEY: is required when MNEMO_LLM_PROVIDER=anthropic/);
    expect(() => loadConfig({ MNEMO_EXTRACTOR: 'claude', MNEMO_LLM_PROVIDER: 'openai-compatible', ANTHROPIC_API_KEY: 'k' })).toThrow(
      /MNEMO_LLM_PROVIDER: openai-compatible contradicts MNEMO_EXTRACTOR=claude/,
    );
    expect(() => loadConfig({ MNEMO_LLM_PROVIDER: 'openai-compatible', MNEMO_LLM_MODE: 'batch' })).toThrow(/MNEMO_LLM_MODE: batch is Claude's Message Batches API/);
    expect(() => loadConfig({ MNEMO_LLM_PROVIDER: 'ollama' })).toThrow(/MNEMO_LLM_PROVIDER/);
    expect(() => loadConfig({ MNEMO_LLM_PROVIDER: 'openai-compatible', MNEMO_LLM_OUTPUT: 'xml' })).toThrow(/MNEMO_LLM_OUTPUT/);
  });
});

describe('choosing the onnx embedder', () => {
  it('is one variable, with a small sentence model by default, fetched where allowed', () => {
    expect(loadConfig({ MNEMO_EMBEDDER: 'onnx' })).toMatchObject({
      MNEMO_EMBEDDER: 'onnx',
      MNEMO_EMBEDDING_MODEL: 'Xenova/all-MiniLM-L6-v2',
      MNEMO_EMBEDDING_DTYPE: 'fp32',
      MNEMO_EMBEDDING_POOLING: 'auto',
      MNEMO_MODEL_HUB_URL: 'https://huggingface.co/',
      MNEMO_MODEL_DOWNLOADS: true,
    });
    expect(loadConfig({ MNEMO_EMBEDDER: 'onnx', MNEMO_EMBEDDING_MODEL_PATH: '/models/bge-small', MNEMO_MODEL_DOWNLOADS: 'false' })).toMatchObject({
      MNEMO_EMBEDDING_MODEL_PATH: '/models/bge-small',
      MNEMO_MODEL_DOWNLOADS: false,
    });
  });

  it('refuses a model name that is not a Hub id, and pooling or weights it does not know', () => {
    expect(() => loadConfig({ MNEMO_EMBEDDER: 'onnx', MNEMO_EMBEDDING_MODEL: '../../etc' })).toThrow(/MNEMO_EMBEDDING_MODEL: must be a model id/);
    expect(() => loadConfig({ MNEMO_EMBEDDER: 'onnx', MNEMO_EMBEDDING_MODEL: '../etc' })).toThrow(/MNEMO_EMBEDDING_MODEL: must be a model id/);
    expect(() => loadConfig({ MNEMO_EMBEDDER: 'onnx', MNEMO_EMBEDDING_POOLING: 'max' })).toThrow(/MNEMO_EMBEDDING_POOLING/);
    expect(() => loadConfig({ MNEMO_EMBEDDER: 'onnx', MNEMO_EMBEDDING_DTYPE: 'fp64' })).toThrow(/MNEMO_EMBEDDING_DTYPE/);
  });
});
