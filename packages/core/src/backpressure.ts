/**
 * Whether an import batch may go in, judged on what waits in the ingest
 * queue: jobs and bytes, in all and of the batch's user. Plain data in,
 * verdict out; the queue adapter reads the figures, the route answers.
 *
 * Under the bounds, everything goes in. Over them, each user with work
 * waiting has an equal share of the bounds: a user under their share still
 * goes in (one tenant's import never starves another's), a user over it
 * waits. At twice the bounds, everyone waits: Redis stays bounded.
 */
export interface Backlog {
  /** Jobs and bytes waiting to start, every user. */
  jobs: number;
  bytes: number;
  /** Of them, the batch's user's. */
  userJobs: number;
  userBytes: number;
  /** Users with work waiting. */
  users: number;
}

export interface BackpressureLimits {
  maxJobs: number;
  maxBytes: number;
}

export type BackpressureVerdict =
  | { admit: true }
  | { admit: false; reason: 'full' | 'over_share'; share_jobs: number; share_bytes: number };

export function judgeBatch(backlog: Backlog, incoming: { jobs: number; bytes: number }, limits: BackpressureLimits): BackpressureVerdict {
  if (backlog.jobs + incoming.jobs <= limits.maxJobs && backlog.bytes + incoming.bytes <= limits.maxBytes) return { admit: true };
  const users = backlog.users + (backlog.userJobs > 0 ? 0 : 1);
  const share = { share_jobs: Math.floor(limits.maxJobs / users), share_bytes: Math.floor(limits.maxBytes / users) };
  if (backlog.jobs > 2 * limits.maxJobs || backlog.bytes > 2 * limits.maxBytes) return { admit: false, reason: 'full', ...share };
  if (backlog.userJobs < share.share_jobs && backlog.userBytes < share.share_bytes) return { admit: true };
  return { admit: false, reason: 'over_share', ...share };
}
