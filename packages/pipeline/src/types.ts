import type { Conversation, LlmUsage, Memory, MemoryType } from '@mnemo/core';
import type { WriteLease } from '@mnemo/store';

/** What the pipeline is asked to process: one conversation of one user. */
export interface PipelineInput {
  userId: string;
  jobId: string;
  conversation: Conversation;
  /** When the API accepted the conversation; the last resort for the reference time. */
  receivedAt: string;
  /** Batch mode: stop at extract so the model call can go into a Message Batch. */
  deferExtraction?: boolean;
}

export interface Turn {
  /** Position in the request's messages array. */
  index: number;
  role: 'user' | 'assistant';
  content: string;
  /** The client's message id when given, else the index as a string: provenance. */
  messageId: string;
  /** For a user turn: the assistant's question just before it, if any (context for short answers). */
  precedingQuestion: string | null;
}

/** Output of analyze. */
export interface Analysis {
  /** ISO-8601 instant relative dates are resolved against. */
  referenceTime: string;
  turns: Turn[];
  /** Turns grouped into chunks small enough for one extraction call. */
  chunks: Turn[][];
}

/** Output of extract: a standalone third-person fact about the user. */
export interface ExtractedFact {
  text: string;
  /** The user's words the fact came from; classifiers read tense and dates from them. */
  evidence: string;
  messageIds: string[];
  /**
   * Type, event time and categories an extractor decided in the same call
   * (Claude does all at once); classify and categorize use them when present.
   */
  proposed?: { type: MemoryType; eventTime: string | null; categories: string[] };
}

/** Output of extract: the facts, and what the model calls cost (null offline). */
export interface Extraction {
  facts: ExtractedFact[];
  llm: LlmUsage | null;
}

export interface ClassifiedFact extends ExtractedFact {
  type: MemoryType;
  /** For episodic facts: when the event happens or happened, ISO-8601; null when unknown. */
  eventTime: string | null;
}

export interface CategorizedFact extends ClassifiedFact {
  /** Built-in or operator-configured category names. */
  categories: string[];
}

export interface EmbeddedFact extends CategorizedFact {
  vector: number[];
  /** Retrieval keys: the text of the turns the fact came from, each with its embedding. */
  keys: { text: string; vector: number[] }[];
}

/** Output of store: what reconciling the job's facts did to the user's memories. */
export interface StoreOutcome {
  /** New memories. */
  created: Memory[];
  /** Existing memories the facts restated (in the same or other words): one more mention each. */
  merged: Memory[];
  /** Existing memories a fact refined (or restored), id kept. */
  updated: Memory[];
  /** Memories a fact contradicted, now closed. */
  superseded: Memory[];
  /** The job had stored its facts before (a retry or resubmission): nothing changed. */
  replayed: boolean;
  /** What a model-backed reconciler cost; null offline. */
  llm: LlmUsage | null;
}

/** A memory a new fact is compared with: an existing one, or an earlier fact of the same job. */
export interface ReconcileCandidate {
  /** A memory id, or `fact:<n>` for the job's n-th fact. */
  ref: string;
  memory: string;
  type: MemoryType;
  eventTime: string | null;
  /** Scaled cosine distance (0–1) to the new fact, when known. */
  distance: number | null;
}

export interface FactToReconcile {
  text: string;
  type: MemoryType;
  eventTime: string | null;
  /** Current memories only: superseded ones are never candidates. */
  candidates: ReconcileCandidate[];
}

/**
 * duplicate: the fact restates `target`; refine: it says the same with more
 * detail; new: neither. Any of them may also close memories it contradicts.
 */
export interface ReconcileDecision {
  action: 'new' | 'duplicate' | 'refine';
  target: string | null;
  supersedes: string[];
}

export interface ReconcileResult {
  /** One per fact, in order. */
  decisions: ReconcileDecision[];
  llm: LlmUsage | null;
}

export interface Reconciler {
  /** A model call: decide before taking the user's lease, and check the candidates again under it. */
  readonly remote: boolean;
  decide(facts: FactToReconcile[]): Promise<ReconcileResult>;
}

/**
 * Serialises reconcile-and-write per user across every worker process, so
 * two jobs of one user cannot both insert the same fact. Extraction and
 * everything before it still runs in parallel.
 */
export interface UserLock {
  /** Runs `fn` holding the user's lease, renewed while it runs; the lease's token fences the store write. */
  withLease<T>(userId: string, fn: (lease: WriteLease) => Promise<T>): Promise<T>;
}

/** Ports: each has an offline implementation here and may have a provider-backed one. */
export interface FactExtractor {
  extract(analysis: Analysis): Promise<Extraction>;
}

export interface FactClassifier {
  classify(facts: ExtractedFact[], referenceTime: string): Promise<ClassifiedFact[]>;
}

export interface FactCategorizer {
  categorize(facts: ClassifiedFact[]): Promise<CategorizedFact[]>;
}

export interface Embedder {
  readonly name: string;
  readonly dimension: number;
  /** document: texts to store; query: a search query (providers embed them differently). */
  embed(texts: string[], purpose: 'document' | 'query'): Promise<number[][]>;
  /** Releases what the embedder holds (the onnx embedder's worker thread). */
  close?(): Promise<void>;
}
