import { judgeBatch } from './backpressure';

const limits = { maxJobs: 10, maxBytes: 1_000 };
const idle = { jobs: 0, bytes: 0, userJobs: 0, userBytes: 0, users: 0 };

describe('judgeBatch', () => {
  it.each([
    ['an idle queue takes a batch', idle, { jobs: 5, bytes: 100 }, true],
    ['a batch that fits the bounds goes in', { jobs: 4, bytes: 400, userJobs: 4, userBytes: 400, users: 1 }, { jobs: 6, bytes: 600 }, true],
    ['over the bounds, the user who filled the queue waits', { jobs: 10, bytes: 500, userJobs: 10, userBytes: 500, users: 1 }, { jobs: 1, bytes: 10 }, false],
    ['over the bounds, a user with nothing waiting goes in', { jobs: 10, bytes: 500, userJobs: 0, userBytes: 0, users: 1 }, { jobs: 1, bytes: 10 }, true],
    ['bytes count like jobs: few jobs, many bytes, the same user waits', { jobs: 2, bytes: 1_000, userJobs: 2, userBytes: 1_000, users: 1 }, { jobs: 1, bytes: 10 }, false],
    ['a user under an equal share goes in', { jobs: 12, bytes: 0, userJobs: 2, userBytes: 0, users: 3 }, { jobs: 1, bytes: 10 }, true],
    ['a user at their share waits', { jobs: 12, bytes: 0, userJobs: 5, userBytes: 0, users: 2 }, { jobs: 1, bytes: 10 }, false],
    ['past twice the bounds everyone waits', { jobs: 21, bytes: 0, userJobs: 0, userBytes: 0, users: 5 }, { jobs: 1, bytes: 10 }, false],
  ])('%s', (_name, backlog, incoming, admitted) => {
    expect(judgeBatch(backlog, incoming, limits).admit).toBe(admitted);
  });
});
