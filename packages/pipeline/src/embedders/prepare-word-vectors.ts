import { defaultCacheDir, loadWordVectors } from './word-vectors';

/**
 * Run by `npm run build`: converts the word vectors into their binary cache
 * once, so the API and workers start in milliseconds instead of parsing
 * 307 MB of JSON each. A no-op when the cache is current.
 */
const dir = process.env.MNEMO_WORD_VECTORS_CACHE_DIR ?? defaultCacheDir();
const started = Date.now();
const vectors = loadWordVectors(dir);
console.log(`word vectors ready: ${vectors.size} words, ${vectors.dimension} dimensions, in ${dir} (${Date.now() - started} ms)`);
