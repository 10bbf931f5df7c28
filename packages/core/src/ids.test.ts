import { ingestJobId, memoryId, normaliseFact } from './ids';

describe('ids', () => {
  it('gives the same memory id to the same fact however it is spaced or cased', () => {
    expect(memoryId('u1', 'User lives in Berlin.')).toBe(memoryId('u1', '  user lives   in berlin'));
    expect(normaliseFact('User lives in Berlin!!')).toBe('user lives in berlin');
  });

  it('keeps users apart', () => {
    expect(memoryId('u1', 'User lives in Berlin')).not.toBe(memoryId('u2', 'User lives in Berlin'));
    expect(ingestJobId('u1', { a: 1 })).not.toBe(ingestJobId('u2', { a: 1 }));
    expect(ingestJobId('u1', {}, 'key')).not.toBe(ingestJobId('u2', {}, 'key'));
  });

  it('derives job ids from content regardless of key order, or from the idempotency key', () => {
    expect(ingestJobId('u', { a: 1, b: [1, 2] })).toBe(ingestJobId('u', { b: [1, 2], a: 1 }));
    expect(ingestJobId('u', { a: 1 }, 'k')).toBe(ingestJobId('u', { a: 2 }, 'k'));
    expect(ingestJobId('u', { a: 1 })).toMatch(/^ch-[0-9a-f]{32}$/);
    expect(ingestJobId('u', { a: 1 }, 'k')).toMatch(/^ik-[0-9a-f]{32}$/);
  });
});
