import type { PipelineInput } from './types';

/** Builds a pipeline input from [role, content] pairs: for tests, the extraction eval and benchmarks. */
export function conversationInput(
  messages: [role: 'user' | 'assistant', content: string][],
  referenceTime = '2024-03-20T10:00:00Z',
): PipelineInput {
  return {
    userId: 'u-test',
    jobId: 'job-test',
    receivedAt: referenceTime,
    conversation: {
      messages: messages.map(([role, content]) => ({ role, content })),
      agent_id: 'agent',
      thread_id: 'thread',
      source: 'chat',
      metadata: { timestamp: referenceTime },
    },
  };
}
