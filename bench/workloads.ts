import autocannon from 'autocannon';
import fs from 'node:fs';
import path from 'node:path';

type Message = { role: 'user' | 'assistant'; content: string };

/** A ten-message conversation (five user turns) with facts of its own. */
export function conversation(i: number) {
  const facts = [
    `I have lived in city number ${i % 97} for ${i % 11} years.`,
    `I work as an engineer on project ${i}.`,
    `My sister is a teacher and she has ${i % 5} kids.`,
    `I love hiking and I run ${i % 13} kilometres every week.`,
    `I am learning language number ${i % 7} this year.`,
  ];
  return {
    messages: facts.flatMap((content): Message[] => [
      { role: 'user', content },
      { role: 'assistant', content: 'That is interesting, tell me more.' },
    ]),
    agent_id: 'bench',
    thread_id: `bench-${i}`,
    source: 'bench',
  };
}

const SESSION_LENGTH = 22;

/**
 * 22-message windows of the retrieval evaluation's two-person chats (real
 * small talk with facts scattered through it), each starting at a user turn.
 * The streams are the chats' sessions end to end, so a window may span two.
 */
const windows: Message[][] = (() => {
  const dir = path.join(__dirname, '..', 'packages', 'pipeline', 'eval', 'retrieval');
  const out: Message[][] = [];
  for (const file of ['dev-a.json', 'holdout-a.json', 'holdout-b.json']) {
    const { conversations } = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { conversations: { sessions: { messages: Message[] }[] }[] };
    for (const chat of conversations) {
      const stream = chat.sessions.flatMap((s) => s.messages.map(({ role, content }) => ({ role, content })));
      for (let start = 0; start + SESSION_LENGTH <= stream.length; start++) {
        if (stream[start]!.role === 'user') out.push(stream.slice(start, start + SESSION_LENGTH));
      }
    }
  }
  return out;
})();

/**
 * The realistic long case: a 22-turn two-person session. Session i goes to
 * user `u{i % users}`; consecutive sessions of one user are far apart in the
 * streams, so no conversation repeats for a user (a repeat would be a
 * duplicate and cost nothing).
 */
export function session(i: number, users: number) {
  const window = windows[(Math.floor(i / users) * 37 + i) % windows.length]!;
  return { messages: window, agent_id: 'bench', thread_id: `session-${i}`, source: 'bench' };
}

export const sessionWindows = () => windows.length;

let posted = 0;

/** autocannon POSTing a new conversation per request (each a new job, not a repeat), for 100 users. */
export function conversationLoad(url: string, key: string, connections: number, seconds: number) {
  return autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ ...conversation(posted++), user_id: `u${posted % 100}` }) }),
      },
    ],
  });
}
