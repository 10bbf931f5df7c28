import { headStem, headWord, wordsOf } from './fact-words';

/**
 * Single-valued attributes of a person: at any time a user has one home
 * city, one employer, one job title, one relationship status and one name.
 * Two facts giving different values for one of them contradict each other.
 * Read from the third-person wording every extractor produces ("User lives
 * in Paris"); a fact that only mentions an attribute in passing ("User's
 * wife is a doctor") states none.
 *
 * A stance ("User loves coffee" / "User no longer drinks coffee") is
 * single-valued per thing: `stance:<thing>` is liked or not.
 */
export const ATTRIBUTE_NAMES = ['home_city', 'employer', 'job_title', 'relationship_status', 'name'] as const;
export type AttributeName = (typeof ATTRIBUTE_NAMES)[number];

export interface FactAttribute {
  /** An attribute name, or `stance:<thing>`. */
  name: string;
  /** Normalised value: lower case, single spaces. */
  value: string;
  /** "User left Google": contradicts employer = google, and no other employer. */
  negated: boolean;
  /** The name as the API shows it, where `name` is an internal form (a stance's stem). */
  label?: string;
}

// A proper name: capitalised words, with the small words place names carry ("Rio de Janeiro").
const PROPER = String.raw`((?:[A-Z0-9][\p{L}\p{N}&'.-]*)(?:\s+(?:(?:de|del|da|do|of|la|le|upon|am|and|&)\s+)?[A-Z0-9][\p{L}\p{N}&'.-]*)*)`;
const LEAD = String.raw`^User\s+(?:now\s+|currently\s+|recently\s+|just\s+|still\s+|finally\s+|officially\s+)*`;

/** Job-title heads: the last word of a title names the occupation. */
const OCCUPATIONS = new Set(
  ('engineer developer programmer manager designer scientist researcher analyst consultant architect director ' +
    'lead head founder cofounder co-founder ceo cto cfo coo vp president officer administrator admin teacher professor lecturer ' +
    'tutor nurse doctor physician surgeon dentist pharmacist therapist psychologist lawyer attorney paralegal accountant ' +
    'writer editor journalist author translator artist illustrator photographer musician producer chef cook baker ' +
    'barista waiter bartender cashier clerk assistant associate specialist coordinator technician mechanic electrician ' +
    'plumber carpenter pilot driver intern student freelancer contractor marketer recruiter salesperson representative ' +
    'agent broker banker trader economist librarian veterinarian vet firefighter paramedic soldier officer scientist ' +
    'strategist owner partner principal instructor coach trainer curator planner adviser advisor executive')
    .split(' '),
);

const RELATIONSHIP_STATES = ['married', 'engaged', 'divorced', 'single', 'widowed', 'separated'];

const norm = (value: string) => value.trim().replace(/\s+/g, ' ').replace(/[.,;:!?]+$/, '').toLowerCase();

/** A title if the phrase ends with an occupation ("senior ML engineer"), else null. */
function title(phrase: string | undefined): string | null {
  if (!phrase) return null;
  const words = wordsOf(phrase);
  return words.length > 0 && words.length <= 6 && OCCUPATIONS.has(words.at(-1)!) ? norm(phrase) : null;
}

interface Rule {
  pattern: RegExp;
  read(m: RegExpExecArray): FactAttribute[];
}

const attr = (name: string, value: string | null | undefined, negated = false): FactAttribute[] =>
  value ? [{ name, value: norm(value), negated }] : [];

const RULES: Rule[] = [
  // Home city.
  {
    pattern: new RegExp(`${LEAD}(?:lives|is living|has been living|resides|is based|settled|is settled|stays)\\s+in\\s+${PROPER}`, 'u'),
    read: (m) => attr('home_city', m[1]),
  },
  {
    pattern: new RegExp(`${LEAD}(?:has\\s+)?(?:moved|relocated|moved back|is moving|will move|is relocating)\\s+(?:back\\s+)?to\\s+${PROPER}`, 'u'),
    read: (m) => attr('home_city', m[1]),
  },
  { pattern: new RegExp(`^User's\\s+home(?:\\s+town|town)?\\s+is\\s+(?:in\\s+)?${PROPER}`, 'u'), read: (m) => attr('home_city', m[1]) },
  // Job title with employer: "User is a senior ML engineer at Google", "User works as a nurse at St Mary's".
  {
    pattern: new RegExp(`${LEAD}(?:is|works as|is working as|started as|is now)\\s+(?:an?\\s+|the\\s+)?([\\p{L}\\p{N} &/-]+?)\\s+(?:at|for|with)\\s+${PROPER}`, 'u'),
    read: (m) => {
      const t = title(m[1]);
      return t ? [...attr('job_title', t), ...attr('employer', m[2])] : [];
    },
  },
  // "User joined Meta as a product manager"
  {
    pattern: new RegExp(`${LEAD}(?:joined|started at|started working at|was hired by|got hired by|got hired at)\\s+${PROPER}(?:\\s+as\\s+(?:an?\\s+)?([\\p{L}\\p{N} &/-]+))?`, 'u'),
    read: (m) => [...attr('employer', m[1]), ...attr('job_title', title(m[2]))],
  },
  {
    pattern: new RegExp(`${LEAD}(?:works|is working|has worked|is employed|works full-time|works part-time)\\s+(?:at|for|by)\\s+${PROPER}`, 'u'),
    read: (m) => attr('employer', m[1]),
  },
  {
    pattern: new RegExp(`${LEAD}(?:left|quit|no longer works at|no longer works for|was laid off from|got laid off from|resigned from)\\s+(?:their\\s+job\\s+at\\s+)?${PROPER}`, 'u'),
    read: (m) => attr('employer', m[1], true),
  },
  // Job title alone: "User is a software engineer", "User got promoted to staff engineer".
  {
    pattern: new RegExp(`${LEAD}(?:got\\s+|was\\s+|has been\\s+)?promoted\\s+to\\s+(?:an?\\s+|the\\s+)?([\\p{L}\\p{N} &/-]+)`, 'u'),
    read: (m) => attr('job_title', title((m[1] ?? '').replace(/\s+(?:at|in|last|this|on)\b.*$/u, ''))),
  },
  {
    pattern: new RegExp(`${LEAD}(?:is|works as|is working as|became|has become)\\s+(?:an?\\s+)([\\p{L}\\p{N} &/-]+)$`, 'u'),
    read: (m) => attr('job_title', title(m[1])),
  },
  // Relationship status.
  {
    pattern: new RegExp(`${LEAD}(?:is|got|has been|was|became)\\s+(?:now\\s+)?(${RELATIONSHIP_STATES.join('|')})\\b`, 'u'),
    read: (m) => attr('relationship_status', m[1]),
  },
  {
    pattern: /^User and their (?:wife|husband|partner|spouse) (?:just |recently |have |officially )*(?:got |are |became )?(divorced|separated|married|engaged)\b/u,
    read: (m) => attr('relationship_status', m[1]),
  },
  { pattern: new RegExp(`${LEAD}(?:is\\s+)?(?:in a relationship|dating)\\b`, 'u'), read: () => attr('relationship_status', 'in a relationship') },
  // Name.
  {
    pattern: new RegExp(`^User's\\s+(?:first\\s+|full\\s+|preferred\\s+)?name\\s+is\\s+${PROPER}`, 'u'),
    read: (m) => attr('name', m[1]),
  },
  {
    pattern: new RegExp(`^(?:User\\s+(?:is called|is named|goes by|prefers to be called|wants to be called)|Call them)\\s+${PROPER}`, 'u'),
    read: (m) => attr('name', m[1]),
  },
];

const LIKES = String.raw`(?:loves|likes|enjoys|adores|is into|is a fan of|is a big fan of|prefers|is passionate about|drinks|eats|plays|practices|watches|listens to)`;
const DISLIKES = String.raw`(?:hates|dislikes|cannot stand|can't stand|is not a fan of|does not like|doesn't like|does not enjoy|no longer likes|no longer enjoys|stopped|gave up|quit|does not|doesn't|no longer|never)`;
// The thing ends where a qualifier starts ("hiking on weekends", "coffee anymore").
const THING = String.raw`([\p{L}\p{N} -]+?)(?:\s+(?:anymore|any more|these days|every|on|in|at|with|during|when|because|since|after|before)\b.*)?$`;

// Built once: stance() runs for every fact and every candidate it is compared with.
const NEGATIVE_STANCE = new RegExp(`${LEAD}${DISLIKES}\\s+(?:to\\s+)?(?:like\\s+|enjoy\\s+|eat\\s+|eating\\s+|drink\\s+|drinking\\s+|play\\s+|playing\\s+|watch\\s+|watching\\s+)?${THING}`, 'u');
const POSITIVE_STANCE = new RegExp(`${LEAD}(?:really\\s+|absolutely\\s+|truly\\s+)*${LIKES}\\s+${THING}`, 'u');

function stance(text: string): FactAttribute[] {
  const negative = NEGATIVE_STANCE.exec(text);
  if (negative) {
    const head = headStem(negative[1]!);
    return head ? [{ name: `stance:${head}`, label: `stance:${headWord(negative[1]!)}`, value: 'likes', negated: true }] : [];
  }
  const positive = POSITIVE_STANCE.exec(text);
  if (positive) {
    const head = headStem(positive[1]!);
    return head ? [{ name: `stance:${head}`, label: `stance:${headWord(positive[1]!)}`, value: 'likes', negated: false }] : [];
  }
  return [];
}

/**
 * The clauses of a fact that each start with the user: a lead-in ("Big
 * news: User moved ...") is dropped, and "User left X and joined Y" gives
 * "User left X" and "User joined Y".
 */
function clauses(text: string): string[] {
  const start = text.search(/\bUser\b/);
  if (start < 0) return /^Call them\b/.test(text) ? [text] : [];
  const sentence = text.slice(start);
  const [first, ...rest] = sentence.split(/,?\s+and\s+(?=[a-z]+s?\b)/);
  // "User and their wife ..." has one subject, not two clauses.
  if (first === 'User') return [sentence];
  return [first!, ...rest.map((clause) => `User ${clause}`)];
}

/** The single-valued attributes a fact states, one value per attribute (a positive one over a negation). */
export function factAttributes(text: string): FactAttribute[] {
  const found = new Map<string, FactAttribute>();
  const keep = (a: FactAttribute) => {
    const seen = found.get(a.name);
    if (!seen || (seen.negated && !a.negated)) found.set(a.name, a);
  };
  for (const clause of clauses(text.trim())) {
    for (const rule of RULES) {
      const m = rule.pattern.exec(clause);
      if (m) rule.read(m).forEach(keep);
    }
    stance(clause).forEach(keep);
  }
  return [...found.values()];
}

/** Two values of one attribute that cannot both be true now. */
export function contradicts(a: FactAttribute, b: FactAttribute): boolean {
  if (a.name !== b.name) return false;
  if (a.negated !== b.negated) return a.value === b.value;
  // Two negations agree; two different positive values cannot both hold.
  return !a.negated && a.value !== b.value;
}

/** Two values of one attribute that say the same. */
export function agrees(a: FactAttribute, b: FactAttribute): boolean {
  return a.name === b.name && a.negated === b.negated && a.value === b.value;
}
