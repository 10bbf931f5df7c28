import { conversationInput } from '../conversation-input';
import { analyze, estimateTokens } from './analyze';

describe('analyze', () => {
  it('picks metadata.timestamp, else the newest message timestamp, else the received time', () => {
    const input = conversationInput([['user', 'hi']], '2024-03-20T10:00:00Z');
    expect(analyze(input, 4_000).referenceTime).toBe('2024-03-20T10:00:00.000Z');
    const { metadata: _m, ...rest } = input.conversation;
    const stamped = {
      ...input,
      receivedAt: '2025-01-01T00:00:00Z',
      conversation: { ...rest, messages: [{ role: 'user' as const, content: 'hi', timestamp: '2024-05-01T08:00:00Z' }] },
    };
    expect(analyze(stamped, 4_000).referenceTime).toBe('2024-05-01T08:00:00.000Z');
    expect(analyze({ ...stamped, conversation: { ...rest } }, 4_000).referenceTime).toBe('2025-01-01T00:00:00.000Z');
  });

  it('pairs a user answer with the question before it, and strips control characters', () => {
    const { turns } = analyze(conversationInput([['assistant', 'Hello! Where do you live?'], ['user', 'Oslo\u0007']]), 4_000);
    expect(turns[1]).toMatchObject({ precedingQuestion: 'Where do you live?', content: 'Oslo', messageId: '1' });
  });

  it('splits by the token budget without separating a question from its answer', () => {
    const long = 'x'.repeat(400); // about 100 tokens
    const { chunks } = analyze(
      conversationInput([
        ['user', long],
        ['user', long],
        ['assistant', `${long} What do you do?`],
        ['user', 'Nurse'],
        ['user', long],
      ]),
      250,
    );
    expect(chunks.map((c) => c.map((t) => t.index))).toEqual([[0, 1], [2, 3, 4]]);
    expect(estimateTokens(long)).toBe(100);
  });
});
