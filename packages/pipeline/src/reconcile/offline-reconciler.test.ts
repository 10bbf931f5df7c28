import type { MemoryType } from '@mnemo/core';
import { factAttributes } from './attributes';
import { attributeNames, relate } from './offline-reconciler';

const fact = (text: string, type: MemoryType = 'semantic', eventTime: string | null = null) => ({ text, type, eventTime });
const against = (text: string, candidate: string, options: { type?: MemoryType; candidateType?: MemoryType; eventTime?: string; candidateTime?: string; distance?: number } = {}) =>
  relate({
    ...fact(text, options.type, options.eventTime ?? null),
    candidates: [{ ref: 'm1', memory: candidate, type: options.candidateType ?? options.type ?? 'semantic', eventTime: options.candidateTime ?? null, distance: options.distance ?? 0.3 }],
  });

describe('single-valued attributes', () => {
  it.each([
    ['User lives in Paris', 'home_city=paris'],
    ['Big news: User moved to Berlin last month', 'home_city=berlin'],
    ['User moved back to Rio de Janeiro', 'home_city=rio de janeiro'],
    ['User works for Stripe now', 'employer=stripe'],
    ['User is a senior ML engineer at Google', 'job_title=senior ml engineer,employer=google'],
    ['User left Google and joined Stripe as a staff engineer', 'employer=stripe,job_title=staff engineer'],
    ['User left Google', 'employer=!google'],
    ['User recently got promoted to staff engineer', 'job_title=staff engineer'],
    ['User and their wife just got divorced', 'relationship_status=divorced'],
    ['User got engaged last week', 'relationship_status=engaged'],
    ["User's name is Dana", 'name=dana'],
    ['User does not drink coffee anymore', 'stance:coffe=!likes'],
    ['User really enjoys hiking on weekends', 'stance:hike=likes'],
    // Mentioned in passing, not stated: no attribute.
    ["User's wife is a doctor", ''],
    ['User is excited about their new job at Google', ''],
    ['User is vegetarian', ''],
  ])('%s -> %s', (text, expected) => {
    expect(factAttributes(text).map((a) => `${a.name}=${a.negated ? '!' : ''}${a.value}`).join(',')).toBe(expected);
  });
});

describe('offline reconciliation of one fact with one candidate', () => {
  it.each([
    // Same fact, other words.
    ['User is based in Berlin', 'User lives in Berlin', 'duplicate'],
    ['User really enjoys hiking', 'User loves hiking', 'duplicate'],
    ['User loves hiking', 'User really enjoys hiking on weekends', 'duplicate'],
    ['User works at Google', 'User is a senior ML engineer at Google', 'duplicate'],
    // More specific.
    ['User is a senior ML engineer at Google', 'User works at Google', 'refine'],
    ['User has a dog named Max', 'User has a dog', 'refine'],
    ['User lives in Berlin with their partner Anna', 'User lives in Berlin', 'refine'],
    // Contradictions of lasting facts.
    ['User lives in Berlin', 'User lives in Paris', 'supersede'],
    ['User works at Stripe', 'User works at Google', 'supersede'],
    ['User is a senior ML engineer at Google', 'User is an ML engineer at Google', 'supersede'],
    ['User is single', 'User is married', 'supersede'],
    ['User does not drink coffee anymore', 'User loves coffee', 'supersede'],
    ['User left Google', 'User works at Google', 'supersede'],
    // Unrelated, or differing in a number or a name.
    ['User left Google', 'User works at Stripe', 'new'],
    ['User plays chess', 'User loves hiking', 'new'],
    ['User said my ticket number is 153', 'User said my ticket number is 83', 'new'],
  ])('%s / %s -> %s', (text, candidate, expected) => {
    const decision = against(text, candidate);
    const action = decision.supersedes.length > 0 ? 'supersede' : decision.action;
    expect(action).toBe(expected);
  });

  it('never closes a past event: two trips are two memories, a move does not undo an earlier move', () => {
    expect(against('User moved to Munich', 'User moved to Berlin last month', { type: 'episodic', candidateTime: '2026-10-24T10:00:00Z' })).toEqual({
      action: 'new',
      target: null,
      supersedes: [],
    });
    const trips = against('User flew to Rome in June', 'User flew to Rome in March', {
      type: 'episodic',
      eventTime: '2026-06-01T12:00:00Z',
      candidateTime: '2026-03-01T12:00:00Z',
    });
    expect(trips.action).toBe('new');
    // The same trip told twice is one memory.
    const again = against('User flew to Rome in March', 'User flew to Rome in March', {
      type: 'episodic',
      eventTime: '2026-03-01T12:00:00Z',
      candidateTime: '2026-03-01T12:00:00Z',
    });
    expect(again).toMatchObject({ action: 'duplicate', target: 'm1' });
  });

  it('lets an event close a lasting fact it contradicts, without folding into it', () => {
    expect(against('User moved to Berlin last month', 'User lives in Paris', { type: 'episodic', candidateType: 'semantic' })).toEqual({
      action: 'new',
      target: null,
      supersedes: ['m1'],
    });
    // The event and the lasting fact it agrees with are kept apart.
    expect(against('User moved to Berlin last month', 'User lives in Berlin', { type: 'episodic', candidateType: 'semantic' }).action).toBe('new');
  });

  it('folds into the first match and closes every contradicted memory at once', () => {
    const decision = relate({
      ...fact('User is a staff engineer at Google'),
      candidates: [
        { ref: 'title', memory: 'User is a senior engineer at Google', type: 'semantic', eventTime: null, distance: 0.1 },
        { ref: 'employer', memory: 'User works at Google', type: 'semantic', eventTime: null, distance: 0.2 },
      ],
    });
    expect(decision).toEqual({ action: 'refine', target: 'employer', supersedes: ['title'] });
  });

  it('treats a near vector as the same fact only when numbers and names agree', () => {
    expect(against('User frequently visits Paris', 'User often goes to Paris', { distance: 0.03 }).action).toBe('duplicate');
    expect(against('User frequently visits Paris', 'User often goes to Paris', { distance: 0.2 }).action).toBe('new');
    expect(against('User frequently visits Paris', 'User often goes to Lyon', { distance: 0.03 }).action).toBe('new');
  });
});

describe('stored attribute names', () => {
  it.each([
    ['User does not drink coffee anymore', ['stance:coffee']],
    ['User loves movies', ['stance:movie']],
    ['User hates long layovers', ['stance:layover']],
    ['User works at Google', ['employer']],
  ])('%s -> %j: readable words, never internal stems', (text, names) => {
    expect(attributeNames(text)).toEqual(names);
  });
});
