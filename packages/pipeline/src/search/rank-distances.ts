/**
 * The vector_distance reported for results in their final order. MemSync
 * documents results without rerank as ordered by vector_distance ascending,
 * but mnemo orders them by its hybrid score, in which a lexical or category
 * match can lift a memory above a closer one. Reporting each result's
 * distance as the largest raw distance at or above its rank keeps the
 * documented order true without touching the ranking: a distance is never
 * reported smaller than the memory's own, and where the raw distances were
 * already ascending nothing changes.
 */
export function rankDistances(rawInRankOrder: number[]): number[] {
  let floor = 0;
  return rawInRankOrder.map((d) => (floor = Math.max(floor, d)));
}
