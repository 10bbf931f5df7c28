import { IngestBacklog } from '@mnemo/queue';
import { deletePrefix, testRedis, uniquePrefix } from '../support/redis';

describe('IngestBacklog.addUnlessQueued', () => {
  const prefix = uniquePrefix('backlog');
  const redis = testRedis('backlog');
  const backlog = new IngestBacklog(redis, prefix);
  const jobKey = (id: string) => `${prefix}:ingest:${id}`;
  afterAll(async () => {
    await deletePrefix(prefix);
    redis.disconnect();
  });

  it('tells which jobs exist and counts only the others, once', async () => {
    await redis.hset(jobKey('old'), 'name', 'conversation');
    const jobs = [
      { jobId: 'old', userId: 'ann', bytes: 100 },
      { jobId: 'new', userId: 'ann', bytes: 40 },
    ];
    expect(await backlog.addUnlessQueued(jobs, jobKey)).toEqual([true, false]);
    // The same request again (the job not added yet): nothing is counted twice.
    expect(await backlog.addUnlessQueued(jobs, jobKey)).toEqual([true, false]);
    expect(await backlog.read('ann')).toEqual({ jobs: 1, bytes: 40, userJobs: 1, userBytes: 40, users: 1 });

    await backlog.remove(['new']);
    expect(await backlog.read('ann')).toEqual({ jobs: 0, bytes: 0, userJobs: 0, userBytes: 0, users: 0 });
  });
});
