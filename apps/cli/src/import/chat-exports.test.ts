import { chatGptConversation, claudeConversation } from '../../../../test/support/chat-exports';
import { fromChatGpt, fromClaude, fromJsonLine } from './chat-exports';

describe('chat export conversions', () => {
  it('keys a conversation by its id and content: the same export again keeps its key, a grown one gets a new key', () => {
    const turns: [string, string][] = [
      ['user', 'I live in Porto.'],
      ['assistant', 'Nice city!'],
    ];
    const keyOf = (conversation: ReturnType<typeof chatGptConversation>) => {
      const body = fromChatGpt(conversation, 'importer');
      if ('invalid' in body) throw new Error('expected a body');
      return body.idempotency_key;
    };
    const first = chatGptConversation(turns as never, { createTime: 1_700_000_000 });
    const again = { ...first };
    const grown = chatGptConversation([...turns, ['user', 'I work as a nurse.']] as never, { createTime: 1_700_000_000 });
    grown.conversation_id = first.conversation_id;
    expect(keyOf(again)).toBe(keyOf(first));
    expect(keyOf(grown)).not.toBe(keyOf(first));
    expect(keyOf(grown)!.startsWith(`import:chatgpt:${first.conversation_id}:`)).toBe(true);
  });

  it('walks a ChatGPT tree along the current branch, in order, with timestamps, leaving out system turns', () => {
    const conversation = chatGptConversation(
      [
        ['user', 'I live in Porto.'],
        ['assistant', 'Nice city!'],
        ['user', 'I work as a nurse.'],
      ],
      { createTime: 1_700_000_000, branch: 'I live in Lisbon.', title: 'Intro' },
    );
    const body = fromChatGpt(conversation, 'importer');
    expect(body).toMatchObject({
      agent_id: 'importer',
      thread_id: conversation.conversation_id,
      source: 'chatgpt-export',
      metadata: { timestamp: '2023-11-14T22:13:20.000Z', platform: 'chatgpt', title: 'Intro' },
      idempotency_key: expect.stringMatching(new RegExp(`^import:chatgpt:${conversation.conversation_id}:[0-9a-f]{16}$`)),
    });
    if ('invalid' in body) throw new Error('expected a body');
    expect(body.messages.map((m) => [m.role, m.content])).toEqual([
      ['user', 'I live in Porto.'],
      ['assistant', 'Nice city!'],
      ['user', 'I work as a nurse.'],
    ]);
    expect(body.messages[2]!.timestamp).toBe('2023-11-14T22:15:20.000Z');
  });

  it('keeps the text typed next to an image in a multimodal ChatGPT turn (issue 13)', () => {
    const conversation = chatGptConversation(
      [
        ['user', 'placeholder'],
        ['assistant', 'What a view!'],
      ],
      { createTime: 1_700_000_000 },
    );
    // What ChatGPT exports for a photo with a caption, and for a voice message.
    const [first, second] = Object.values(conversation.mapping as Record<string, { message: { author: { role: string }; content: unknown } | null }>)
      .filter((n) => n.message?.author.role === 'user' || n.message?.author.role === 'assistant');
    first!.message!.content = {
      content_type: 'multimodal_text',
      parts: [
        { content_type: 'image_asset_pointer', asset_pointer: 'file-service://file-abc', size_bytes: 123_456, width: 1024, height: 768 },
        'This is the view from my flat in Porto.',
      ],
    };
    second!.message!.content = {
      content_type: 'multimodal_text',
      parts: [{ content_type: 'audio_transcription', text: 'I moved here last spring.' }, { content_type: 'audio_asset_pointer', asset_pointer: 'sediment://x' }],
    };
    const body = fromChatGpt(conversation, 'importer');
    if ('invalid' in body) throw new Error(`expected a body: ${body.invalid}`);
    expect(body.messages.map((m) => [m.role, m.content])).toEqual([
      ['user', 'This is the view from my flat in Porto.'],
      ['assistant', 'I moved here last spring.'],
    ]);
  });

  it('maps Claude.ai human turns to the user, in order, with the conversation time', () => {
    const conversation = claudeConversation([['human', 'I keep bees.'], ['assistant', 'How many hives?'], ['human', 'Three.']], { createdAt: '2024-05-01T08:00:00Z', name: 'Bees' });
    const body = fromClaude(conversation, 'importer');
    if ('invalid' in body) throw new Error('expected a body');
    expect(body.messages.map((m) => [m.role, m.content])).toEqual([['user', 'I keep bees.'], ['assistant', 'How many hives?'], ['user', 'Three.']]);
    expect(body).toMatchObject({ source: 'claude-export', metadata: { timestamp: '2024-05-01T08:00:00.000Z' }, idempotency_key: expect.stringMatching(new RegExp(`^import:claude:${conversation.uuid}:[0-9a-f]{16}$`)) });
  });

  it('says why a record cannot be imported', () => {
    expect(fromChatGpt({ id: 'x', mapping: {} }, 'a')).toEqual({ invalid: 'no user or assistant text in the conversation', sourceId: 'x' });
    expect(fromClaude({ name: 'no uuid' }, 'a')).toMatchObject({ invalid: expect.stringMatching(/not a Claude conversation/) });
    expect(fromJsonLine('{not json', 7)).toMatchObject({ invalid: expect.stringMatching(/^not JSON/), sourceId: 'line 7' });
    expect(fromJsonLine('[1]', 8)).toEqual({ invalid: 'not a JSON object', sourceId: 'line 8' });
  });

  it('names a JSON line by its own idempotency key, or by its content', () => {
    const line = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], agent_id: 'a', thread_id: 't', source: 's' });
    const first = fromJsonLine(line, 1);
    expect(first).toMatchObject({ idempotency_key: expect.stringMatching(/^import:jsonl:[0-9a-f]{32}$/) });
    expect(fromJsonLine(line, 99)).toEqual(first);
    expect(fromJsonLine(JSON.stringify({ idempotency_key: 'mine' }), 1)).toMatchObject({ idempotency_key: 'mine' });
  });
});
