import { STAGE_NAMES, type StageName } from '@mnemo/core';
import type { MemoryStore } from '@mnemo/store';
import { splitCompounds } from './reconcile/compound-facts';
import { analyze } from './stages/analyze';
import { embed } from './stages/embed';
import { storeFacts } from './stages/store';
import type {
  Analysis,
  CategorizedFact,
  ClassifiedFact,
  EmbeddedFact,
  Embedder,
  Extraction,
  FactCategorizer,
  FactClassifier,
  FactExtractor,
  PipelineInput,
  Reconciler,
  StoreOutcome,
  UserLock,
} from './types';

/** Each stage's output, under the stage's name; what the runner checkpoints. */
export interface StageOutputs {
  analyze: Analysis;
  extract: Extraction;
  classify: ClassifiedFact[];
  categorize: CategorizedFact[];
  embed: EmbeddedFact[];
  store: StoreOutcome;
}

export type StageContext = { input: PipelineInput } & Partial<StageOutputs>;

export interface Stage<N extends StageName = StageName> {
  name: N;
  run(ctx: StageContext): Promise<StageOutputs[N]>;
  /**
   * Saved to the checkpoint when done: its output costs more to redo than
   * to write (a model call, a hosted embedding). Cheap offline stages are
   * recomputed on a retry instead of written after every stage.
   */
  checkpoint?: boolean;
}

export interface PipelineDeps {
  extractor: FactExtractor;
  classifier: FactClassifier;
  categorizer: FactCategorizer;
  embedder: Embedder;
  store: MemoryStore;
  reconciler: Reconciler;
  /** Serialises each user's reconcile-and-write across workers. */
  lock: UserLock;
  /** Token budget of one extraction call's conversation. */
  chunkTokens: number;
  now?: () => Date;
}

/** Thrown by extract when the input asks for deferral: the job waits for a batch answer. */
export class ExtractionDeferred extends Error {
  override name = 'ExtractionDeferred';
  constructor(
    message: string,
    /** What the batch request is built from, and what the job resumes with. */
    readonly analysis: Analysis,
  ) {
    super(message);
  }
}

function need<T>(value: T | undefined, stage: StageName): T {
  if (value === undefined) throw new Error(`stage ${stage} ran before its input was produced`);
  return value;
}

/** The six ingestion stages, in order. */
export function ingestStages(deps: PipelineDeps): Stage[] {
  const now = deps.now ?? (() => new Date());
  const stages: { [N in StageName]: Stage<N> } = {
    analyze: { name: 'analyze', run: async (ctx) => analyze(ctx.input, deps.chunkTokens) },
    extract: {
      name: 'extract',
      checkpoint: true,
      run: async (ctx) => {
        const analysis = need(ctx.analyze, 'extract');
        if (ctx.input.deferExtraction) throw new ExtractionDeferred('extraction deferred to a message batch', analysis);
        return deps.extractor.extract(analysis);
      },
    },
    classify: {
      name: 'classify',
      // One fact per memory, whichever extractor (or batch answer) gave the facts.
      run: (ctx) => deps.classifier.classify(splitCompounds(need(ctx.extract, 'classify').facts), need(ctx.analyze, 'classify').referenceTime),
    },
    categorize: { name: 'categorize', run: (ctx) => deps.categorizer.categorize(need(ctx.classify, 'categorize')) },
    embed: { name: 'embed', checkpoint: true, run: (ctx) => embed(need(ctx.categorize, 'embed'), deps.embedder, need(ctx.analyze, 'embed')) },
    store: {
      name: 'store',
      run: (ctx) => storeFacts(ctx.input, need(ctx.embed, 'store'), { store: deps.store, reconciler: deps.reconciler, lock: deps.lock, now }),
    },
  };
  return STAGE_NAMES.map((name) => stages[name] as Stage);
}
