import type { Conversation, LlmUsage, Memory, MemoryType } from '@mnemo/core';

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
}

export interface StoreOutcome {
  created: Memory[];
  touched: Memory[];
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
}
