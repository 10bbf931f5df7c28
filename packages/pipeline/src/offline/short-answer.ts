import nlp from 'compromise';

/**
 * Short answers only make sense with the assistant's question before them:
 * "What do you do?" / "Nurse at St Mary's" -> "I am a nurse at St Mary's".
 * Returns a first-person sentence (rewritten to third person later), or null.
 */

type Template = { question: RegExp; render: (answer: string, m: RegExpExecArray) => string | null };

const YES = /^(yes|yeah|yep|yup|sure|of course|definitely|absolutely|i do|i am|i have|correct|indeed)\b[\s,.!]*/i;
const NO = /^(no|nope|nah|not really|never|i do not|i don't|i am not|i'm not|i have not|i haven't)\b[\s,.!]*/i;

function article(phrase: string): string {
  if (/^(a|an|the|my|at|for|in|on|with|self|freelance|unemployed|retired|between)\b/i.test(phrase)) return phrase;
  if (/^[A-Z][a-z]+ [A-Z]/.test(phrase)) return phrase; // a proper name
  return `${/^[aeiou]/i.test(phrase) ? 'an' : 'a'} ${phrase}`;
}

function stripLead(answer: string, lead: RegExp): string {
  return answer.replace(lead, '').trim();
}

function youToMe(text: string): string {
  return text
    .replace(/\byour\b/gi, 'my')
    .replace(/\byours\b/gi, 'mine')
    .replace(/\byourself\b/gi, 'myself')
    .replace(/\byou\b/gi, 'me');
}

const TEMPLATES: Template[] = [
  {
    question: /\b(what do you do( for (work|a living))?|what('s| is) your (job|profession|occupation|line of work|role)|what kind of work do you do)\b/i,
    render: (a) => (/^(at|for|in)\b/i.test(a) ? `I work ${a}` : `I am ${article(a)}`),
  },
  { question: /\bwhere do you work\b/i, render: (a) => `I work ${/^(at|for|in|from)\b/i.test(a) ? a : `at ${a}`}` },
  { question: /\bwhere did you grow up\b/i, render: (a) => `I grew up in ${stripLead(a, /^in\b/i)}` },
  {
    question: /\bwhere (do you live|are you (based|located|living))\b/i,
    render: (a) => `I live in ${stripLead(a, /^(in|i live in)\b/i)}`,
  },
  { question: /\b(where are you from|where('s| is) home)\b/i, render: (a) => `I am from ${stripLead(a, /^(from|i'm from)\b/i)}` },
  { question: /\b(what('s| is) your name|what should i call you)\b/i, render: (a) => `My name is ${stripLead(a, /^(it's|it is|i'm|i am|call me)\b/i)}` },
  { question: /\bhow old are you\b/i, render: (a) => (/^\d+/.test(a) ? `I am ${a.match(/^\d+/)![0]} years old` : null) },
  {
    question: /\bwhat('s| is| are) your fav(ou)?rite ([a-z ]+?)\s*\?*$/i,
    render: (a, m) => `My favorite ${m[4]!.trim()} is ${a}`,
  },
  {
    question: /\b(what are your hobbies|what do you (like to do|enjoy( doing)?|do for fun)|how do you (like to )?spend your (free|spare) time)\b/i,
    render: (a) => `I enjoy ${a.charAt(0).toLowerCase()}${a.slice(1)}`,
  },
  { question: /\bwhat are you (studying|learning)\b/i, render: (a) => `I am studying ${a}` },
  { question: /\bwhere did you (study|go to (school|college|university))\b/i, render: (a) => `I studied at ${stripLead(a, /^at\b/i)}` },
  {
    question: /\bdo you have any (kids|children|pets|siblings|brothers|sisters|allergies)\b/i,
    render: (a, m) => {
      if (NO.test(a)) return `I do not have any ${m[1]}`;
      const rest = stripLead(a, YES);
      return rest ? `I have ${rest}` : `I have ${m[1]}`;
    },
  },
];

/** "Do you like sushi?" + "Yes" -> "I like sushi"; "Are you vegan?" + "No" -> "I am not vegan". */
function invertYesNo(question: string, answer: string): string | null {
  const m = /^(do|are|have|can|will) you ([^?]+)\?*$/i.exec(question.trim());
  if (!m) return null;
  const yes = YES.test(answer);
  const no = !yes && NO.test(answer);
  if (!yes && !no) return null;
  const rest = youToMe(m[2]!.trim());
  const aux = m[1]!.toLowerCase();
  const forms: Record<string, [string, string]> = {
    do: ['I', 'I do not'],
    are: ['I am', 'I am not'],
    have: ['I have', 'I have not'],
    can: ['I can', 'I cannot'],
    will: ['I will', 'I will not'],
  };
  const [positive, negative] = forms[aux]!;
  return `${yes ? positive : negative} ${rest}`;
}

/** "Nurse at St Mary's" -> "nurse at St Mary's"; names keep their capital. */
function lowerFirstUnlessName(text: string): string {
  const first = text.split(/\s+/)[0] ?? '';
  if (nlp(first).has('#ProperNoun') || /^[A-Z]{2,}/.test(first)) return text;
  return text.charAt(0).toLowerCase() + text.slice(1);
}

export function answerAsStatement(question: string, answer: string): string | null {
  const cleaned = lowerFirstUnlessName(answer.trim().replace(/[.!]+$/, ''));
  if (!cleaned || cleaned.split(/\s+/).length > 12) return null;
  for (const { question: pattern, render } of TEMPLATES) {
    const m = pattern.exec(question);
    if (m) return render(cleaned, m);
  }
  return invertYesNo(question, cleaned);
}
