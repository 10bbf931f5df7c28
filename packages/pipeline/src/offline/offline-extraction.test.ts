import { analyze } from '../stages/analyze';
import { conversationInput } from '../conversation-input';
import { OfflineCategorizer } from './offline-categorizer';
import { OfflineClassifier } from './offline-classifier';
import { OfflineExtractor } from './offline-extractor';
import { answerAsStatement } from './short-answer';
import { toThirdPerson } from './third-person';

async function extractAll(messages: Parameters<typeof conversationInput>[0]) {
  const analysis = analyze(conversationInput(messages), 4_000);
  const { facts } = await new OfflineExtractor().extract(analysis);
  const classified = await new OfflineClassifier().classify(facts, analysis.referenceTime);
  return new OfflineCategorizer().categorize(classified);
}

describe('offline extraction', () => {
  it('turns the MemSync example into career memories, leaving the excitement out', async () => {
    const facts = await extractAll([
      ['user', "I just got promoted to Senior Software Engineer at Google! I'll be working on their ML infrastructure team."],
      ['assistant', 'Congratulations on your promotion! Working on ML infrastructure at Google must be exciting.'],
      ['user', "Thanks! I'm really excited. I'll be leading a team of 5 engineers and working on scaling their recommendation systems."],
    ]);
    expect(facts.map((f) => f.text)).toEqual([
      'User recently got promoted to Senior Software Engineer at Google',
      'User will be working on their ML infrastructure team',
      'User will be leading a team of 5 engineers and working on scaling their recommendation systems',
    ]);
    expect(facts.every((f) => f.categories.includes('career'))).toBe(true);
    expect(facts[0]).toMatchObject({ type: 'episodic', eventTime: '2024-03-20T10:00:00.000Z', messageIds: ['0'] });
    expect(facts[2]!.messageIds).toEqual(['2']);
  });

  it('stores nothing from small talk', async () => {
    const facts = await extractAll([
      ['user', 'Hi! How are you today?'],
      ['assistant', "I'm doing well, thanks! What can I help you with?"],
      ['user', 'Nothing much, just saying hello. Thanks!'],
      ['assistant', 'Anytime!'],
      ['user', 'Can you tell me a joke?'],
    ]);
    expect(facts).toEqual([]);
  });

  it('resolves relative dates against the reference time', async () => {
    const [fact] = await extractAll([['user', 'My wife and I are flying to Tokyo next Tuesday.']]);
    expect(fact).toMatchObject({ text: 'User and their wife are flying to Tokyo on 26 March 2024', type: 'episodic' });
    expect(fact!.eventTime?.slice(0, 10)).toBe('2024-03-26');
    expect(fact!.categories).toContain('travel');
  });

  it('keeps lasting facts semantic and splits independent clauses', async () => {
    const facts = await extractAll([['user', "I'm 34 and I live in Denver. I don't eat meat."]]);
    expect(facts.map((f) => [f.text, f.type])).toEqual([
      ['User is 34 years old', 'semantic'],
      ['User lives in Denver', 'semantic'],
      ['User does not eat meat', 'semantic'],
    ]);
    expect(facts[1]!.categories).toEqual(['identity']);
  });

  it('reads short answers through the question before them', async () => {
    const facts = await extractAll([
      ['assistant', 'Nice to meet you! What do you do for work?'],
      ['user', "Nurse at St Mary's"],
      ['assistant', 'Do you enjoy it?'],
      ['user', 'Yes'],
    ]);
    expect(facts.map((f) => f.text)).toEqual(["User is a nurse at St Mary's"]);
  });

  it('skips requests, questions and hypotheticals', async () => {
    const facts = await extractAll([
      ['user', 'Can you help me write an email to my landlord?'],
      ['user', 'If I had more money I would buy a boat.'],
      ['user', 'What should I cook tonight?'],
    ]);
    expect(facts).toEqual([]);
  });
});

describe('toThirdPerson', () => {
  it.each([
    ['I work at a bakery', 'User works at a bakery'],
    ['I have two kids', 'User has two kids'],
    ["I've been vegetarian since 2015", 'User has been vegetarian since 2015'],
    ['My sister lives in Lyon and visits me often', "User's sister lives in Lyon and visits them often"],
    ['I really love hiking', 'User really loves hiking'],
  ])('%s -> %s', (input, expected) => {
    expect(toThirdPerson(input)).toBe(expected);
  });
});

describe('answerAsStatement', () => {
  it.each([
    ['Where do you live?', 'Lisbon', 'I live in Lisbon'],
    ["What's your name?", "It's Priya", 'My name is Priya'],
    ['How old are you?', '29', 'I am 29 years old'],
    ['Are you vegan?', 'No', 'I am not vegan'],
    ['Do you have any pets?', 'Yes, two cats', 'I have two cats'],
    ['Anything else?', 'Nope', null],
  ])('%s / %s', (question, answer, expected) => {
    expect(answerAsStatement(question, answer)).toBe(expected);
  });

  it('restores a dropped "I" and keeps the statement behind an aside', async () => {
    const facts = await extractAll([
      ['user', 'so... bad news, got laid off on Thursday.'],
      ['user', 'yep, still designing app screens for fintech people'],
    ]);
    expect(facts.map((f) => f.text)).toEqual([
      'User got laid off on 14 March 2024',
      'User is still designing app screens for fintech people',
    ]);
  });

  it('resolves a pronoun only when one person fits, and names people by what they are to the user', async () => {
    const facts = await extractAll([
      ['user', 'My dog Susie is the best.'],
      ['assistant', 'What breed is she?'],
      ['user', "A beagle mix. I've had her for two years."],
      ['user', 'My sister Jenny and my mum came over. She is a nurse.'],
      ['user', 'ok dont tell anyone yet... Jenny got engaged on Friday!'],
    ]);
    const texts = facts.map((f) => f.text);
    expect(texts).toContain("User has had User's dog Susie for two years");
    // "She" could be Jenny or the mum: not resolved, not stored.
    expect(texts.some((t) => /nurse/.test(t))).toBe(false);
    expect(texts).toContain("User's sister Jenny got engaged on 15 March 2024");
  });

  it('drops the name of whoever is spoken to, learns the user\'s name from the other party, and stores no fragments', async () => {
    const facts = await extractAll([
      ['assistant', 'Welcome back, Priya! How was the lake?'],
      ['user', 'Caroline, they are some of my fave memories. I painted that lake sunrise last year.'],
      ['assistant', 'Lovely, Priya. Since when do you paint?'],
      ['user', 'Since I was twelve.'],
    ]);
    const texts = facts.map((f) => f.text);
    expect(texts).toContain('User painted that lake sunrise in 2023');
    expect(texts).toContain("User's name is Priya");
    expect(texts.every((t) => !/Caroline|^Since\b/.test(t) && t.split(' ').length >= 4)).toBe(true);
  });

  it('writes absolute dates into events, reading a bare month forward in the present tense', async () => {
    const analysis = analyze(conversationInput([['user', 'My daughter starts school in September and I am flying to Lisbon next Friday.']], '2024-12-05T12:00:00Z'), 4_000);
    const { facts } = await new OfflineExtractor().extract(analysis);
    const classified = await new OfflineClassifier().classify(facts, analysis.referenceTime);
    expect(classified.map((f) => [f.text, f.type])).toEqual([
      ["User's daughter starts school in September 2025", 'episodic'],
      ['User is flying to Lisbon on 13 December 2024', 'episodic'],
    ]);
  });

  it('keeps weekday habits semantic', async () => {
    const facts = await extractAll([['user', 'I do yoga on Tuesday evenings and I swim on Saturdays.']]);
    expect(facts.map((f) => f.type)).toEqual(['semantic', 'semantic']);
  });
});
