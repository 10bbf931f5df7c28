import path from 'node:path';
import { MnemoApiError, MnemoClient } from '@mnemo/client';
import { batchItemSchema, conversationBytes } from '@mnemo/core';
import type { ImportBody } from './chat-exports';
import { ImportStateDir } from './import-state';
import { detectFormat, filesOf, readFile, type Format, type SourceItem } from './sources';

export interface ImportOptions {
  target: string;
  format?: Format;
  url: string;
  key: string;
  /** Acting user for every conversation (a service key); else each record's own, else the key's user. */
  userId?: string;
  agentId: string;
  concurrency: number;
  batchSize: number;
  wait: boolean;
  dryRun: boolean;
  stateDir: string;
  progress: ProgressSink;
  /** Aborted on Ctrl-C: no new batch is sent, the ones in flight finish, the state is saved. */
  signal: AbortSignal;
  /** Conversations over this many bytes are refused here, as the API would (its MNEMO_MAX_BODY_BYTES); default 1 MiB. */
  maxConversationBytes?: number;
  /** A request holds at most this many bytes of conversations (below the API's batch body bound); default 8 MiB. */
  maxBatchBytes?: number;
  /** Test hook and politeness: the longest wait between retries of one batch. */
  maxBackoffMs?: number;
}

export interface ImportCounts {
  read: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  completed: number;
  failed: number;
  memories: number;
}

export interface ProgressSink {
  start(total: number | null, counts: ImportCounts): void;
  update(counts: ImportCounts, note?: string): void;
  stop(): void;
}

export interface ImportReport extends ImportCounts {
  interrupted: boolean;
  seconds: number;
  rate: number;
  state_dir: string;
  rejected_file: string | null;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/** An answer the import cannot go on from (a bad key, a request the server refuses as such). */
export class ImportFailed extends Error {
  override name = 'ImportFailed';
}

interface BatchAnswer {
  accepted: number;
  duplicates: number;
  rejected: { index: number; error: unknown }[];
  jobs: { index: number; job_id: string; duplicate: boolean }[];
}

/** Counts the items of the sources for a progress total, when that is cheap (JSON Lines). */
async function countItems(files: { file: string; format: Format }[]): Promise<number | null> {
  if (files.some((f) => f.format !== 'jsonl')) return null;
  let n = 0;
  for (const { file, format } of files) for await (const _ of readFile(file, format, '')) n++;
  return n;
}

/**
 * Streams the sources to POST /v1/memories/batch, `concurrency` batches at
 * a time. Network errors, 5xx and 503/429 (with Retry-After) are waited out
 * and the same batch is sent again; the state dir records progress after
 * every answer.
 */
export async function runImport(options: ImportOptions): Promise<ImportReport> {
  const started = Date.now();
  const files = await Promise.all(
    (await filesOf(options.target)).map(async (file) => ({ file, format: options.format ?? (await detectFormat(file)) })),
  );
  if (files.length === 0) throw new ImportFailed(`nothing to import in ${options.target}`);
  const stateDir = new ImportStateDir(options.stateDir);
  const state = options.dryRun ? null : stateDir.load(path.resolve(options.target));
  const counts: ImportCounts = {
    read: 0,
    accepted: state?.accepted ?? 0,
    duplicates: state?.duplicates ?? 0,
    rejected: state?.rejected ?? 0,
    completed: 0,
    failed: 0,
    memories: 0,
  };
  options.progress.start(await countItems(files), counts);

  const body = (item: ImportBody) => ({ ...item, ...(options.userId ? { user_id: options.userId } : {}) });

  // Batches answered, by their first index: the watermark moves over the contiguous ones.
  const answered = new Map<number, number>();
  const advance = () => {
    if (!state) return;
    while (answered.has(state.done)) {
      const end = answered.get(state.done)!;
      answered.delete(state.done);
      state.done = end;
    }
    state.accepted = counts.accepted;
    state.duplicates = counts.duplicates;
    state.rejected = counts.rejected;
    stateDir.save(state);
  };

  const send = async (batch: { index: number; item: SourceItem }[]) => {
    const local = batch.filter((b) => 'invalid' in b.item);
    const remote = batch.filter((b) => !('invalid' in b.item));
    const rejected: { index: number; source_id: string; error: unknown }[] = local.map((b) => ({
      index: b.index,
      source_id: (b.item as { sourceId: string }).sourceId,
      error: { code: 'VALIDATION_ERROR', message: (b.item as { invalid: string }).invalid },
    }));
    let answer: BatchAnswer = { accepted: 0, duplicates: 0, rejected: [], jobs: [] };
    if (options.dryRun) {
      remote.forEach((b, i) => {
        const parsed = batchItemSchema.safeParse(body(b.item as ImportBody));
        if (parsed.success) answer.accepted++;
        else answer.rejected.push({ index: i, error: { code: 'VALIDATION_ERROR', message: parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ') } });
      });
    } else if (remote.length > 0) {
      answer = await post(remote.map((b) => body(b.item as ImportBody)));
    }
    // The server numbers items within the request; map them back to the source.
    for (const r of answer.rejected) {
      const source = remote[r.index]!;
      rejected.push({ index: source.index, source_id: (source.item as ImportBody).idempotency_key, error: r.error });
    }
    counts.accepted += answer.accepted;
    counts.duplicates += answer.duplicates;
    counts.rejected += rejected.length;
    if (!options.dryRun) {
      stateDir.appendJobs(
        answer.jobs.map((j) => {
          const user = options.userId ?? (remote[j.index]!.item as ImportBody).user_id;
          return { index: remote[j.index]!.index, job_id: j.job_id, ...(user ? { user_id: user } : {}) };
        }),
      );
    }
    stateDir.appendRejected(rejected);
    answered.set(batch[0]!.index, batch.at(-1)!.index + 1);
    advance();
    options.progress.update(counts);
  };

  // The client waits out an unreachable or overloaded server (Retry-After first) for as long as it takes,
  // saying so on the progress line; a batch is safe to send again, its items being known by their ids.
  const client = new MnemoClient({
    url: options.url,
    apiKey: options.key,
    timeoutMs: 120_000,
    retry: {
      attempts: Infinity,
      maxDelayMs: options.maxBackoffMs ?? 30_000,
      onRetry: ({ status, reason, waitMs }) =>
        options.progress.update(
          counts,
          status === null ? `${reason}; retrying in ${Math.round(waitMs / 1000)} s` : `server answered ${status}; waiting ${Math.round(waitMs / 1000)} s`,
        ),
    },
  });
  const post = async (conversations: ImportBody[]): Promise<BatchAnswer> => {
    try {
      return await client.memories.batch(conversations as Parameters<MnemoClient['memories']['batch']>[0]);
    } catch (err) {
      if (err instanceof MnemoApiError) throw new ImportFailed(`the server refused the import (${err.status}): ${err.message}`);
      throw err;
    }
  };

  // Stream, batch and send with at most `concurrency` batches in flight.
  const inFlight = new Set<Promise<void>>();
  let failure: unknown = null;
  let index = 0;
  let batch: { index: number; item: SourceItem }[] = [];
  let batchBytes = 0;
  const maxBatchBytes = options.maxBatchBytes ?? 8 * 1_048_576;
  const launch = async (b: typeof batch) => {
    const p = send(b).catch((err: unknown) => {
      failure ??= err;
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
  };
  const skip = state?.done ?? 0;
  outer: for (const { file, format } of files) {
    for await (const item of readFile(file, format, options.agentId, options.maxConversationBytes)) {
      if (options.signal.aborted || failure) break outer;
      const at = index++;
      counts.read++;
      if (at < skip) continue; // answered in an earlier run
      const bytes = 'invalid' in item ? 0 : conversationBytes(item);
      if (batch.length > 0 && batchBytes + bytes > maxBatchBytes) {
        await launch(batch);
        batch = [];
        batchBytes = 0;
      }
      batch.push({ index: at, item });
      batchBytes += bytes;
      if (batch.length >= options.batchSize) {
        await launch(batch);
        batch = [];
        batchBytes = 0;
      }
    }
  }
  if (batch.length > 0 && !options.signal.aborted && !failure) await launch(batch);
  await Promise.all(inFlight);
  if (failure) {
    options.progress.stop();
    throw failure;
  }

  if (options.wait && !options.signal.aborted && !options.dryRun) {
    await follow(options, client, stateDir.jobs(), counts);
  }
  options.progress.stop();
  const seconds = (Date.now() - started) / 1000;
  return {
    ...counts,
    interrupted: options.signal.aborted,
    // Rounded: a report is read by people and diffed by scripts, neither wants 17 digits.
    seconds: Math.round(seconds * 10) / 10,
    rate: Math.round((counts.read / Math.max(seconds, 0.001)) * 10) / 10,
    state_dir: options.stateDir,
    rejected_file: counts.rejected > 0 ? stateDir.rejectedPath : null,
  };
}

/** Follows the import's jobs until each has finished, counting completed, failed and memories created. */
async function follow(options: ImportOptions, client: MnemoClient, jobs: { job_id: string; user_id?: string }[], counts: ImportCounts): Promise<void> {
  // Job status is asked per acting user, as every read is.
  const byUser = new Map<string | undefined, string[]>();
  for (const job of jobs) byUser.set(job.user_id, [...(byUser.get(job.user_id) ?? []), job.job_id]);
  let pending = [...byUser.entries()].flatMap(([user, ids]) => ids.map((id) => ({ user, id })));
  const finished = new Map<string, { failed: boolean; memories: number }>();
  while (pending.length > 0 && !options.signal.aborted) {
    const still: typeof pending = [];
    const groups = new Map<string | undefined, string[]>();
    for (const { user, id } of pending) groups.set(user, [...(groups.get(user) ?? []), id]);
    for (const [user, ids] of groups) {
      for (let i = 0; i < ids.length; i += 1_000) {
        const chunk = ids.slice(i, i + 1_000);
        // A round that fails is asked again in the next one.
        const answer = await client.jobs.status(chunk, { userId: user }).catch(() => null);
        if (!answer) {
          still.push(...chunk.map((id) => ({ user, id })));
          continue;
        }
        for (const job of answer.jobs) {
          if (job.status === 'completed') finished.set(job.job_id, { failed: false, memories: job.memories_created ?? 0 });
          else if (job.status === 'failed') finished.set(job.job_id, { failed: true, memories: 0 });
          else if (job.status !== 'not_found') still.push({ user, id: job.job_id });
        }
      }
    }
    counts.completed = [...finished.values()].filter((f) => !f.failed).length;
    counts.failed = [...finished.values()].filter((f) => f.failed).length;
    counts.memories = [...finished.values()].reduce((n, f) => n + f.memories, 0);
    options.progress.update(counts, still.length ? `waiting for ${still.length} jobs` : undefined);
    pending = still;
    if (pending.length) await sleep(1_000, options.signal);
  }
}
