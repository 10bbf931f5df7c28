import { wellFormed, wellFormedText } from './well-formed';

describe('wellFormed', () => {
  it('replaces lone surrogates, high or low, and keeps real pairs', () => {
    expect(wellFormedText('Lisbon \ud800 tea')).toBe('Lisbon \uFFFD tea');
    expect(wellFormedText('\udc00x\ud83d')).toBe('\uFFFDx\uFFFD');
    expect(wellFormedText('emoji \ud83d\ude00')).toBe('emoji \ud83d\ude00');
    expect(() => encodeURIComponent(wellFormedText('eve\ud800'))).not.toThrow();
  });

  it('fixes every string of a parsed body, keys included, and keeps __proto__ a plain key', () => {
    const body = JSON.parse('{"user_id":"eve\\ud800","messages":[{"content":"a\\udfff"}],"metadata":{"k\\ud800":1,"__proto__":{"x":1}}}');
    const fixed = wellFormed(body);
    expect(fixed.user_id).toBe('eve\uFFFD');
    expect(fixed.messages[0].content).toBe('a\uFFFD');
    expect(Object.keys(fixed.metadata)).toEqual(['__proto__', 'k\uFFFD']);
    expect(Object.getPrototypeOf(fixed.metadata)).toBe(Object.prototype);
  });
});
