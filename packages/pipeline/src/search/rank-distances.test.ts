import { rankDistances } from './rank-distances';

describe('rankDistances', () => {
  it('leaves distances that already ascend as they are', () => {
    expect(rankDistances([0.1, 0.2, 0.2, 0.5])).toEqual([0.1, 0.2, 0.2, 0.5]);
  });

  it('raises a closer memory ranked below a farther one to the distance above it, never lowering any', () => {
    const raw = [0.3, 0.15, 0.4, 0.2];
    const reported = rankDistances(raw);
    expect(reported).toEqual([0.3, 0.3, 0.4, 0.4]);
    reported.forEach((d, i) => expect(d).toBeGreaterThanOrEqual(raw[i]!));
  });

  it('gives an empty list for no results', () => {
    expect(rankDistances([])).toEqual([]);
  });
});
