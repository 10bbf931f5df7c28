import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { memoryId } from '@mnemo/core';
import { SqliteMemoryStore, type SearchHit } from '@mnemo/store';
import { LocalEmbedder } from '../embedders/local-embedder';
import { rankHits } from './hybrid-ranker';
import { attributesAsked, createSearcher, queryForUser } from './search-memories';

const embedder = new LocalEmbedder(64);

function hit(memory: string, over: Partial<SearchHit> & { categories?: string[]; attributes?: string[] } = {}): SearchHit {
  const { categories = ['identity'], attributes = [], ...rest } = over;
  return {
    memory: { memory, categories, attributes, keys: [] } as unknown as SearchHit['memory'],
    vector_distance: 0.3,
    key_distance: null,
    lexical: 0,
    score: 0,
    ...rest,
  };
}

describe('hybrid ranking', () => {
  it('mixes lexical match, the closer of memory and key vectors, topic and the attribute asked for', () => {
    const ranked = rankHits(
      [
        hit('shares words', { lexical: 1, vector_distance: 0.4 }),
        hit('close by its source message', { key_distance: 0.05, vector_distance: 0.45 }),
        hit('states the employer', { attributes: ['employer'], lexical: 0.5, vector_distance: 0.3 }),
        hit('on topic', { categories: ['health'], vector_distance: 0.3 }),
      ],
      ['health'],
      undefined,
      ['employer'],
    );
    expect(ranked.map((h) => h.memory.memory)).toEqual(['states the employer', 'shares words', 'close by its source message', 'on topic']);
    expect(ranked[0]!.score).toBeCloseTo(0.5 + 1.2 * 0.4 + 1, 4);
  });

  it('reads which attribute a question asks for', () => {
    expect(attributesAsked('Where does the user work?')).toEqual(['employer', 'job_title']);
    expect(attributesAsked('where does Maya live these days?')).toEqual(['home_city']);
    expect(attributesAsked("What's the user's name?")).toEqual(['name']);
    expect(attributesAsked('Does the user have any pets?')).toEqual([]);
  });
});

describe('search as the API runs it', () => {
  let dir: string;
  let store: SqliteMemoryStore;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mnemo-search-'));
    store = SqliteMemoryStore.open(dir, embedder.dimension, embedder.name);
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const remember = (texts: string[], attributes: (text: string) => string[] = () => []) =>
    store.write(
      'alice',
      'job-1',
      texts.map((text) => ({
        action: 'create' as const,
        item: {
          memory: {
            id: memoryId('alice', text), user_id: 'alice', memory: text, categories: ['identity'], type: 'semantic' as const, event_time: null,
            agent_id: 'a', thread_id: 't', source: 'chat', attributes: attributes(text),
            provenance: [{ job_id: 'job-1', thread_id: 't', agent_id: 'a', source: 'chat', message_ids: ['0'], seen_at: '2024-01-01T00:00:00.000Z' }],
          },
          vector: embedder.embedOne(text),
        },
      })),
      new Date('2024-01-01T00:00:00Z'),
    );

  it("reads the user's own name in a query as the user", async () => {
    await remember(["User's name is Caroline", 'User likes pottery'], (t) => (t.includes('name') ? ['name'] : []));
    expect(await queryForUser(store, 'alice', "What does Caroline like? Caroline's hobbies?")).toBe("What does the user like? the user's hobbies?");
    expect(await queryForUser(store, 'alice', 'What does Dana like?')).toBe('What does Dana like?');
    expect(await queryForUser(store, 'bob', 'What does Caroline like?')).toBe('What does Caroline like?');
    expect(await queryForUser(store, 'alice', 'what does caroline like')).toBe('what does the user like');
  });

  it('leaves a name that is also an ordinary word alone unless it is written as a name', async () => {
    await remember(["User's name is June"], () => ['name']);
    expect(await queryForUser(store, 'alice', 'What did the user do in June?')).toBe('What did the user do in June?');
    expect(await queryForUser(store, 'alice', "What are June's hobbies?")).toBe("What are the user's hobbies?");
    await remember(["User's name is Will"], () => ['name']);
    expect(await queryForUser(store, 'alice', 'Will the user move to Paris?')).toBe('Will the user move to Paris?');
  });

  it('returns a score with every result, best first, within the limit', async () => {
    await remember(['User works at Google', 'User likes pottery', 'User lives in Oslo'], (t) => (t.includes('works at') ? ['employer'] : []));
    const hits = await createSearcher({ store, embedder })('alice', { query: 'Where does the user work?', limit: 2 });
    expect(hits).toHaveLength(2);
    expect(hits[0]!.memory.memory).toBe('User works at Google');
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
  });
});
