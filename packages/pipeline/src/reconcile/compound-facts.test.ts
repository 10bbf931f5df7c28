import { splitCompound } from './compound-facts';

const texts = (text: string) => splitCompound({ text, evidence: text, messageIds: ['1'] }).map((f) => f.text);

describe('one fact per memory', () => {
  it.each([
    ['User lives in Lisbon with their wife Ana', ['User lives in Lisbon', 'User lives with their wife Ana']],
    ['User lives in Lisbon with their wife Ana and their two kids', ['User lives in Lisbon', 'User lives with their wife Ana and their two kids']],
    ['User lives in Lisbon with their parents', ['User lives in Lisbon', 'User lives with their parents']],
    ['User works at Google with their friend Sam', ['User works at Google', 'User works with their friend Sam']],
    // No single-valued attribute: nothing a later fact could close, so nothing to split.
    ['User went hiking with their wife', ['User went hiking with their wife']],
  ])('%s', (text, expected) => {
    expect(texts(text)).toEqual(expected);
  });
});
