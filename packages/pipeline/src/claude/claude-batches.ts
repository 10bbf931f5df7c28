import Anthropic from '@anthropic-ai/sdk';
import type { Analysis, ExtractedFact, Extraction } from '../types';
import { emptyUsage } from '../llm/usage';
import { addUsage, classifyProviderError, type ClaudeExtractor, type ExtractionRequest } from './claude-extractor';

export interface BatchEntry {
  /** `<job id>__<chunk index>`: Anthropic allows letters, digits, _ and - only. */
  custom_id: string;
  params: ExtractionRequest;
}

export type BatchState = 'in_progress' | 'canceling' | 'ended';

/** Per job: the answer to each chunk, or null where the entry errored, expired or was cancelled. */
export type BatchResults = Map<string, Map<number, Anthropic.Messages.Message | null>>;

/**
 * Extraction through the Message Batches API (half the price, answers within
 * 24 h): the same request and validation as the synchronous path, so a batch
 * answer is exactly as trustworthy; anything short of a valid answer for every
 * chunk sends the conversation back to the synchronous path.
 */
export class ClaudeBatches {
  private readonly client: Anthropic;

  constructor(
    private readonly extractor: ClaudeExtractor,
    options: { apiKey: string; baseURL?: string; timeoutMs: number },
  ) {
    this.client = new Anthropic({ apiKey: options.apiKey, baseURL: options.baseURL, maxRetries: 2, timeout: options.timeoutMs });
  }

  entriesFor(jobId: string, analysis: Analysis): BatchEntry[] {
    return analysis.chunks.map((chunk, i) => ({
      custom_id: `${jobId}__${i}`,
      params: this.extractor.request(chunk, analysis.referenceTime),
    }));
  }

  async submit(entries: BatchEntry[]): Promise<string> {
    try {
      const batch = await this.client.messages.batches.create({ requests: entries });
      return batch.id;
    } catch (err) {
      throw classifyProviderError(err);
    }
  }

  async state(batchId: string): Promise<BatchState> {
    return (await this.client.messages.batches.retrieve(batchId)).processing_status;
  }

  async results(batchId: string): Promise<BatchResults> {
    const byJob: BatchResults = new Map();
    for await (const entry of await this.client.messages.batches.results(batchId)) {
      const split = entry.custom_id.lastIndexOf('__');
      const jobId = entry.custom_id.slice(0, split);
      const chunk = Number(entry.custom_id.slice(split + 2));
      if (!byJob.has(jobId)) byJob.set(jobId, new Map());
      byJob.get(jobId)!.set(chunk, entry.result.type === 'succeeded' ? entry.result.message : null);
    }
    return byJob;
  }

  /** The job's extraction from its batch answers, or null when any chunk lacks a valid one. */
  extraction(analysis: Analysis, answers: Map<number, Anthropic.Messages.Message | null> | undefined): Extraction | null {
    const usage = emptyUsage(this.extractor.model);
    const facts: ExtractedFact[] = [];
    for (const [i, chunk] of analysis.chunks.entries()) {
      const message = answers?.get(i);
      if (!message) return null;
      addUsage(usage, message);
      const checked = this.extractor.check(message, new Set(chunk.map((t) => t.messageId)));
      if (!checked.ok) return null;
      facts.push(...this.extractor.toFacts(checked.answer, chunk));
    }
    return { facts, llm: usage };
  }
}
