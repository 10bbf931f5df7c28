import type { EmbedderSignature, VectorRebuild } from '@mnemo/store';

/** The part of an embedder a re-embed needs. */
export interface ReembedEmbedder {
  readonly name: string;
  readonly dimension: number;
  embed(texts: string[], purpose: 'document'): Promise<number[][]>;
}

export interface ReembedProgress {
  start(total: number, done: number): void;
  update(done: number): void;
  stop(): void;
}

export interface ReembedOptions {
  rebuild: VectorRebuild;
  embedder: ReembedEmbedder;
  /** Texts embedded and saved together. */
  batchSize: number;
  /** Stop after this many batches, leaving the rest to the next run (default: no limit). */
  maxBatches?: number;
  progress: ReembedProgress;
  /** Aborted: stop after the batch in flight. */
  signal?: AbortSignal;
}

export interface ReembedReport {
  from: EmbedderSignature;
  to: EmbedderSignature;
  /** Nothing to do: the store was built by this embedder. */
  already: boolean;
  /** Picked up an unfinished run toward the same embedder. */
  resumed: boolean;
  total: number;
  /** Vectors embedded by this run. */
  embedded: number;
  /** The store now answers with the new vectors. */
  switched: boolean;
}

/**
 * Re-embeds every memory and key of the store with `embedder`, in batches,
 * and switches the store over once all are built. Resumable: a run cut
 * short keeps every saved batch, and the next one continues from there.
 */
export async function runReembed({ rebuild, embedder, batchSize, maxBatches, progress, signal }: ReembedOptions): Promise<ReembedReport> {
  const from = await rebuild.builtWith();
  const to = { embedder: embedder.name, dimension: embedder.dimension };
  const report = { from, to, already: false, resumed: false, total: 0, embedded: 0, switched: false };
  if (from.embedder === to.embedder && from.dimension === to.dimension) return { ...report, already: true };

  const begun = await rebuild.begin(to);
  Object.assign(report, { resumed: begun.resumed, total: begun.total });
  let done = begun.done;
  let batches = 0;
  progress.start(begun.total, done);
  try {
    for (;;) {
      if (signal?.aborted || (maxBatches !== undefined && batches >= maxBatches)) return report;
      const items = await rebuild.pending(batchSize);
      if (items.length === 0) {
        // finish() finds texts a writer added meanwhile: embed those too, then try again.
        if (await rebuild.finish()) return { ...report, switched: true };
        continue;
      }
      const vectors = await embedder.embed(items.map((i) => i.text), 'document');
      if (vectors.length !== items.length) throw new Error(`embedder ${embedder.name} returned ${vectors.length} vectors for ${items.length} texts`);
      await rebuild.save(items.map((item, i) => ({ item, vector: vectors[i]! })));
      batches++;
      report.embedded += items.length;
      done = Math.min(begun.total, done + items.length);
      progress.update(done);
    }
  } finally {
    progress.stop();
  }
}
