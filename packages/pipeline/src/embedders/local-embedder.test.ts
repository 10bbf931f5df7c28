import { LocalEmbedder } from './local-embedder';

const cosine = (a: number[], b: number[]) => a.reduce((sum, v, i) => sum + v * b[i]!, 0);

describe('LocalEmbedder', () => {
  const embedder = new LocalEmbedder(256);

  it('is deterministic and unit length', async () => {
    const [a, b] = await embedder.embed(['User lives in Berlin', 'User lives in Berlin'], 'document');
    expect(a).toEqual(b);
    expect(a).toHaveLength(256);
    expect(cosine(a!, a!)).toBeCloseTo(1, 6);
  });

  it('places related texts closer than unrelated ones', async () => {
    const [query, related, unrelated] = await embedder.embed(
      ['where does the user live', 'User lives in Berlin', 'User enjoys playing the guitar'],
      'query',
    );
    expect(cosine(query!, related!)).toBeGreaterThan(cosine(query!, unrelated!));
  });

  it('treats word forms alike', async () => {
    const [a, b, c] = await embedder.embed(['User loves hiking', 'User loved hikes', 'User sells insurance'], 'document');
    expect(cosine(a!, b!)).toBeGreaterThan(0.5);
    expect(cosine(a!, c!)).toBeLessThan(0.3);
  });
});
