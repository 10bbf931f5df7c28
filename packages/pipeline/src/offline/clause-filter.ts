import { nlp } from './parse';

/**
 * Decides whether a user's clause states something worth remembering about
 * them. Offline, this is rules: questions, requests to the assistant,
 * pleasantries, hypotheticals and bare moods are not facts.
 */

const QUESTION_START =
  /^(what|how|why|where|when|who|which|whose|can|could|would|will|should|do|does|did|is|are|am|was|were|have|has|shall|may|might)\b/i;

const REQUEST_PATTERNS = [
  /\b(can|could|would|will) you\b/i,
  /^(please|help|tell|show|give|write|explain|list|make|create|find|suggest|recommend|draft|summari[sz]e|translate|fix|check|compare|generate|describe|plan|remind)\b/i,
  /\bi (want|need|would like|'d like) (you|to know|to ask|help|some help|advice|ideas|suggestions|recommendations|a recommendation|some tips|tips)\b/i,
  /\b(i was wondering|i wonder|i have a question|let me know|let me think|i need help|help me|any (ideas|tips|suggestions))\b/i,
  // Intentions for this conversation, not facts about the user: "I want to plan my week".
  /^i (want|need|would like) to (plan|write|draft|figure out|find out|know|understand|ask|check|get help|brainstorm|organi[sz]e|review|prepare for|practice|go over|talk about|discuss|see some|try)\b/i,
  /\bwhat (do|would|should) you\b/i,
];

/** Clauses that talk about the conversation itself, not about the user. */
const META_PATTERNS = [
  /^i (see|agree|understand|know|mean|guess so|think so|hope so|suppose so|get it|got it|forgot|remember|appreciate (it|that|this|you)|disagree|am not sure|do not know|have no idea|will try|will do|will check|will look|will let you know|will think about it|will keep that in mind|can do that|thought (it|that|so)|(like|love) (that|this|it|the idea|the suggestion|the plan|your))\b/i,
  /^i (would|will|could) (definitely )?(try|use|check|consider|look into|go with|think about) (that|this|it|those|these|them)\b/i,
  /^i('m| am) (not sure|sure|just curious|curious|asking|wondering|back|here|ready|done|in|fine|good|great|ok|okay|alright|all set)\b/i,
  /^if i\b/i,
  /^i wish\b/i,
];

const PHATIC =
  /^(thanks|thank you|thx|ty|hi|hello|hey|good (morning|afternoon|evening|night)|bye|goodbye|ok|okay|cool|great|awesome|nice|sure|yes|no|yep|yeah|nope|lol|haha|wow|oh|hmm|perfect|sounds good|got it|of course|exactly|right|true|fair enough|no worries|np|cheers|congrats)\b[\s!.,]*$/i;

/** Moods and reactions: "I'm really excited" is about the moment, not the user. */
const MOOD_WORDS = new Set([
  'excited', 'happy', 'glad', 'sad', 'tired', 'sorry', 'fine', 'good', 'great', 'okay', 'ok', 'sure', 'bored',
  'nervous', 'thrilled', 'curious', 'confused', 'grateful', 'thankful', 'ready', 'done', 'back', 'here', 'lost',
  'stuck', 'amazed', 'impressed', 'pleased', 'relieved', 'surprised', 'worried', 'annoyed', 'frustrated', 'upset',
  'hungry', 'sleepy', 'well', 'alright', 'interested', 'fascinated', 'delighted', 'exhausted', 'overwhelmed',
  'lol', 'haha', 'lmao', 'omg', 'tbh',
]);
const INTENSIFIERS = new Set([
  'so', 'really', 'very', 'super', 'pretty', 'quite', 'a', 'bit', 'little', 'kind', 'kinda', 'of', 'sort', 'too',
  'extremely', 'just', 'totally', 'honestly', 'actually', 'also', 'still', 'all', 'feeling', 'feel', 'am', 'is',
  'was', 'i', 'user', 'and', 'now', 'today', 'right', 'definitely', 'absolutely', 'incredibly', 'rather',
  'already', 'tonight', 'at', 'the', 'moment', 'these', 'days',
]);

export function isQuestion(clause: string): boolean {
  const trimmed = clause.trim();
  return trimmed.endsWith('?') || QUESTION_START.test(trimmed);
}

export function isRequest(clause: string): boolean {
  return REQUEST_PATTERNS.some((p) => p.test(clause));
}

export function isMeta(clause: string): boolean {
  return META_PATTERNS.some((p) => p.test(clause.trim()));
}

export function isPhatic(clause: string): boolean {
  return PHATIC.test(clause.trim());
}

export function isBareMood(clause: string): boolean {
  const words = clause.toLowerCase().replace(/[^a-z' ]/g, ' ').split(/\s+/).filter(Boolean);
  const rest = words.filter((w) => !INTENSIFIERS.has(w) && w !== "i'm" && w !== 'im' && w !== "i've" && w !== 'been');
  return rest.length > 0 && rest.every((w) => MOOD_WORDS.has(w));
}

export function mentionsSelf(clause: string): boolean {
  return /\b(i|i'm|i've|i'll|i'd|me|my|mine|myself|we|we're|we've|our|us)\b/i.test(clause);
}

/** Does the clause carry any content beyond pronouns and function words? */
export function hasContent(clause: string): boolean {
  const doc = nlp(clause);
  const content = doc.match('(#Noun|#Value|#Adjective|#Verb)').not('(#Pronoun|#Auxiliary|#Copula|#Modal)');
  const words = content.terms().out('array') as string[];
  return words.some((w) => !/^(user|it|that|this|there|things?|stuff|one|lot|way|time|do|did|does|get|got|have|has|had|be|been|so)$/i.test(w));
}

/** A clause that leans on a pronoun with nothing named ("I do it every day") cannot stand alone. */
export function dependsOnContext(clause: string): boolean {
  // "It was the best trip of my life": the subject is something said before.
  if (/^(it|that|this|which|there|he|she|they)\b/i.test(clause.trim())) return true;
  const objects = /\b(it|that|this|those|these|them|there|her|him)\b/i.test(clause);
  if (!objects) return false;
  const doc = nlp(clause);
  return !doc.has('(#Noun && !#Pronoun)') && !doc.has('#Value');
}
