import type { LlmUsage } from '@mnemo/core';

/** Usage before the first call of a job or a profile rebuild. */
export function emptyUsage(model: string): LlmUsage {
  return { model, calls: 0, input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, llm_ms: 0 };
}
