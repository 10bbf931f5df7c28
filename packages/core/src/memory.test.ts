import { MAX_PROVENANCE, withMention, type MemorySource } from './memory';

const mention = (n: number): MemorySource => ({
  job_id: `job-${n}`,
  thread_id: 't',
  agent_id: 'a',
  source: 'chat',
  message_ids: ['0'],
  seen_at: new Date(Date.UTC(2024, 0, 1, 0, n)).toISOString(),
});

describe('withMention', () => {
  it('appends a mention', () => {
    expect(withMention([mention(1)], mention(2)).map((m) => m.job_id)).toEqual(['job-1', 'job-2']);
  });

  it('keeps the first mention and the latest ones when there are many', () => {
    let provenance = [mention(0)];
    for (let n = 1; n <= 120; n++) provenance = withMention(provenance, mention(n));
    expect(provenance).toHaveLength(MAX_PROVENANCE);
    expect(provenance[0]!.job_id).toBe('job-0');
    expect(provenance[1]!.job_id).toBe(`job-${120 - MAX_PROVENANCE + 2}`);
    expect(provenance.at(-1)!.job_id).toBe('job-120');
  });
});
