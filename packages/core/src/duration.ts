/** MemSync's processing_time form: seconds with one decimal, "0.4s". */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
