import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import { STAGE_NAMES } from '@mnemo/core';
import type { JobControl, LlmUsageTotals, PipelineStats } from '@mnemo/queue';

/**
 * Prometheus metrics of an API process. HTTP metrics are this process's
 * own; queue depths and everything the pipeline did are read from Redis at
 * scrape time, where every worker adds them up, so any API process reports
 * the whole fleet (scrape one, or sum nothing: these are not per-process).
 */

export interface MetricsSources {
  jobs: JobControl;
  stats: PipelineStats;
  usage: LlmUsageTotals;
}

type Sample = { metricName?: string; labels?: Record<string, string | number>; value: number };

/** A metric whose values come from Redis when scraped (counters and histograms prom-client cannot be set to). */
function fleetMetric(name: string, help: string, type: 'counter' | 'histogram', read: () => Promise<Sample[]>): Metric {
  return {
    name,
    help,
    type,
    get: async () => ({ name, help, type, aggregator: 'sum', values: await read() }),
  } as unknown as Metric;
}

/** Memoises a read for the lifetime of one object: one scrape. */
const once = <T>(read: () => Promise<T>) => {
  let value: Promise<T> | null = null;
  return () => (value ??= read());
};

/** The Redis reads of one scrape: several metrics come from the same hashes, each read once. */
function snapshot(sources: MetricsSources) {
  return {
    queues: once(() => sources.jobs.stats()),
    totals: once(() => sources.stats.totals()),
    failures: once(() => sources.stats.failures()),
    stageHistograms: once(() => sources.stats.stageHistograms()),
    usage: once(() => sources.usage.read(1)),
    workers: once(() => sources.stats.workerTotals()),
  };
}

export function createMetrics(sources: MetricsSources) {
  // Set while a scrape renders; scrapes render one at a time, so each sees only its own reads.
  let current: ReturnType<typeof snapshot> | null = null;
  const now = () => current ?? snapshot(sources);
  const jobs = { stats: () => now().queues() };
  const stats = {
    totals: () => now().totals(),
    failures: () => now().failures(),
    stageHistograms: () => now().stageHistograms(),
    workerTotals: () => now().workers(),
  };
  const usage = { read: () => now().usage() };
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: 'mnemo_http_requests_total',
    help: 'HTTP requests answered, by method, route and status.',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'mnemo_http_request_duration_seconds',
    help: 'HTTP request latency, by method, route and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });

  new Gauge({
    name: 'mnemo_queue_jobs',
    help: 'Jobs in each queue, by state.',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const q of await jobs.stats()) for (const [state, n] of Object.entries(q.counts)) this.set({ queue: q.queue, state }, n);
    },
  });
  new Gauge({
    name: 'mnemo_queue_oldest_waiting_seconds',
    help: 'Age of the oldest job waiting to start (0 when none waits).',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const q of await jobs.stats()) this.set({ queue: q.queue }, q.oldest_waiting_seconds ?? 0);
    },
  });

  const fleet = [
    fleetMetric('mnemo_jobs_completed_total', 'Ingest jobs completed.', 'counter', async () => [{ value: (await stats.totals()).completed }]),
    fleetMetric('mnemo_jobs_stalled_total', 'Ingest jobs found stalled (their worker died or froze) and put back in the queue.', 'counter', async () => [
      { value: (await stats.totals()).stalled },
    ]),
    fleetMetric('mnemo_jobs_failed_total', 'Ingest jobs failed for good (no attempt left), by error code.', 'counter', async () =>
      (await stats.failures()).map((f) => ({ labels: { code: f.code }, value: f.jobs })),
    ),
    fleetMetric('mnemo_job_attempts_failed_total', 'Failed ingest job attempts, by error code.', 'counter', async () =>
      (await stats.failures()).map((f) => ({ labels: { code: f.code }, value: f.attempts })),
    ),
    fleetMetric('mnemo_worker_jobs_total', 'What each queue\'s workers saw: jobs completed, attempts failed, jobs found stalled.', 'counter', async () =>
      (await stats.workerTotals()).flatMap((q) =>
        (['completed', 'failed', 'stalled'] as const).map((event) => ({ labels: { queue: q.queue, event }, value: q[event] })),
      ),
    ),
    fleetMetric('mnemo_worker_processing_seconds_total', 'Time each queue\'s workers spent on finished attempts (completed or failed).', 'counter', async () =>
      (await stats.workerTotals()).map((q) => ({ labels: { queue: q.queue }, value: q.processing_ms / 1000 })),
    ),
    fleetMetric('mnemo_stage_duration_seconds', 'Time each pipeline stage took, per completed job.', 'histogram', async () => {
      const histograms = await stats.stageHistograms();
      return STAGE_NAMES.flatMap((stage) => {
        const h = histograms[stage];
        return [
          ...h.buckets.map((b) => ({
            metricName: 'mnemo_stage_duration_seconds_bucket',
            labels: { stage, le: b.le === Infinity ? '+Inf' : String(b.le / 1000) },
            value: b.count,
          })),
          { metricName: 'mnemo_stage_duration_seconds_sum', labels: { stage }, value: h.sum_ms / 1000 },
          { metricName: 'mnemo_stage_duration_seconds_count', labels: { stage }, value: h.count },
        ];
      });
    }),
    fleetMetric('mnemo_memories_created_total', 'Memories created, by category (a memory in two categories counts in both).', 'counter', async () =>
      Object.entries((await stats.totals()).by_category).map(([category, value]) => ({ labels: { category }, value })),
    ),
    fleetMetric('mnemo_memories_created_by_type_total', 'Memories created, by type.', 'counter', async () =>
      Object.entries((await stats.totals()).by_type).map(([type, value]) => ({ labels: { type }, value })),
    ),
    fleetMetric('mnemo_llm_calls_total', 'Model calls made (extraction, reconciliation, bios).', 'counter', async () => [
      { value: (await usage.read()).total.calls },
    ]),
    fleetMetric('mnemo_llm_tokens_total', 'Model tokens, by kind.', 'counter', async () => {
      const { total } = await usage.read();
      return (['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'] as const).map((kind) => ({
        labels: { kind: kind.replace(/_tokens$/, '') },
        value: total[kind],
      }));
    }),
    fleetMetric('mnemo_llm_rate_limited_total', 'Times the model provider asked the workers to back off (429/529).', 'counter', async () => [
      { value: (await stats.totals()).rate_limited },
    ]),
  ];
  for (const metric of fleet) registry.registerMetric(metric);

  /** Counts and times every request, labelled by the route pattern (never the raw path: ids would explode the series). */
  const middleware: RequestHandler = (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : req.baseUrl || 'unmatched';
      const labels = { method: req.method, route, status: String(res.statusCode) };
      requests.inc(labels);
      latency.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };

  let rendering: Promise<unknown> = Promise.resolve();
  /** The exposition text of one scrape. */
  const render = (): Promise<string> => {
    const run = rendering.then(async () => {
      current = snapshot(sources);
      try {
        return await registry.metrics();
      } finally {
        current = null;
      }
    });
    rendering = run.catch(() => undefined);
    return run;
  };

  return { registry, middleware, render };
}
