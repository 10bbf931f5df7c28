import type { Category } from '@mnemo/core';

/**
 * Words that signal each category, for the offline categorizer. Entries are
 * word prefixes matched at a word start ("promot" matches "promoted").
 */
export const CATEGORY_LEXICON: Record<Category, string[]> = {
  identity: [
    'name is', 'years old', 'born', 'live in', 'lives in', 'living in', 'grew up', 'from ', 'moved to', 'nationality',
    'citizen', 'birthday', 'introvert', 'extrovert', 'pronouns', 'native', 'hometown', 'identif', 'vegetarian', 'vegan',
    'left-handed', 'personality', 'religio', 'christian', 'muslim', 'jewish', 'buddhist', 'hindu', 'atheist', 'speaks',
    'language', 'apartment', 'house in', 'neighborhood', 'neighbourhood',
  ],
  career: [
    'job', 'work', 'career', 'promot', 'engineer', 'developer', 'manager', 'boss', 'colleague', 'coworker', 'co-worker',
    'company', 'startup', 'office', 'salary', 'hired', 'fired', 'quit', 'resign', 'interview', 'employ', 'client',
    'profession', 'intern', 'nurse', 'teacher', 'doctor', 'lawyer', 'designer', 'consultant', 'freelanc', 'business',
    'team of', 'lead', 'ceo', 'cto', 'founder', 'founded', 'product', 'customer', 'shift', 'retire', 'contract',
    'accountant', 'architect', 'scientist', 'analyst', 'researcher', 'chef', 'bakery', 'restaurant', 'hospital',
    'google', 'microsoft', 'amazon', 'meta', 'apple', 'stripe', 'software', 'infrastructure', 'recommendation system',
    'deadline', 'project manager', 'sales', 'marketing', 'industry', 'pilot', 'mechanic', 'electrician', 'firm',
  ],
  interests: [
    'love', 'enjoy', 'like', 'hobby', 'hobbies', 'favorite', 'favourite', 'fan of', 'passion', 'hiking', 'guitar',
    'piano', 'music', 'band', 'concert', 'movie', 'film', 'book', 'novel', 'read', 'game', 'gaming', 'play', 'paint',
    'draw', 'photograph', 'cook', 'bake', 'baking', 'garden', 'knit', 'chess', 'sci-fi', 'fantasy', 'anime', 'podcast',
    'football', 'soccer', 'basketball', 'tennis', 'climb', 'surf', 'ski', 'fish', 'camp', 'collect', 'sing', 'dance',
    'jazz', 'rock', 'series', 'show', 'sushi', 'coffee', 'wine', 'beer', 'food', 'cuisine', 'pizza', 'tea',
  ],
  relationships: [
    'wife', 'husband', 'partner', 'girlfriend', 'boyfriend', 'fiance', 'fiancé', 'married', 'wedding', 'divorc',
    'son', 'daughter', 'kid', 'child', 'children', 'baby', 'mom', 'mother', 'dad', 'father', 'parent', 'brother',
    'sister', 'sibling', 'friend', 'family', 'grandm', 'grandp', 'grandparent', 'uncle', 'aunt', 'cousin', 'niece',
    'nephew', 'dog', 'cat', 'pet', 'puppy', 'kitten', 'roommate', 'neighbor', 'neighbour', 'dating', 'twins',
    'in-law', 'anniversary',
  ],
  health: [
    'health', 'doctor', 'diagnos', 'allerg', 'diabet', 'asthma', 'migraine', 'injur', 'sprain', 'surgery', 'therap',
    'medication', 'pill', 'sick', 'ill', 'pain', 'knee', 'back pain', 'sleep', 'insomnia', 'diet', 'calorie',
    'weight', 'gym', 'workout', 'exercise', 'run', 'marathon', 'yoga', 'fitness', 'lift', 'protein', 'gluten',
    'lactose', 'intoleran', 'pregnan', 'anxiety', 'depress', 'adhd', 'mental', 'blood pressure', 'cholesterol',
    'vegetarian', 'vegan', 'meat', 'sugar', 'smok', 'alcohol', 'sober', 'physio', 'covid', 'flu', 'cancer', 'heart',
    'dentist', 'hospital', 'meditat', 'steps', 'swim', 'cycl', 'bike',
  ],
  finance: [
    'money', 'budget', 'sav', 'invest', 'stock', 'crypto', 'bitcoin', 'mortgage', 'rent', 'loan', 'debt', 'credit',
    'salary', 'income', 'earn', 'pay', 'paid', 'bank', 'retirement', '401k', 'pension', 'tax', 'spend', 'expens',
    'afford', 'bought', 'buy', 'purchas', 'price', 'cost', 'dollar', 'euro', '$', '€', '£', 'financ', 'insurance',
    'down payment', 'portfolio', 'fund',
  ],
  learning: [
    'learn', 'study', 'studies', 'studied', 'studying', 'course', 'class', 'degree', 'university', 'college', 'school',
    'phd', 'master', 'bachelor', 'mba', 'graduat', 'exam', 'certif', 'bootcamp', 'tutor', 'lesson', 'language',
    'spanish', 'french', 'german', 'japanese', 'mandarin', 'italian', 'rust', 'python', 'javascript', 'programming',
    'coding', 'skill', 'major', 'thesis', 'lecture', 'semester', 'homework', 'teach myself', 'duolingo', 'training',
  ],
  travel: [
    'trip', 'travel', 'vacation', 'holiday', 'flight', 'flying', 'fly to', 'flew', 'visit', 'tour', 'abroad',
    'passport', 'visa', 'hotel', 'airbnb', 'beach', 'backpack', 'itinerary', 'cruise', 'road trip', 'japan', 'tokyo',
    'paris', 'london', 'rome', 'italy', 'spain', 'barcelona', 'mexico', 'thailand', 'iceland', 'europe', 'asia',
    'honeymoon', 'destination', 'airport',
  ],
  productivity: [
    'task', 'project', 'deadline', 'schedule', 'calendar', 'routine', 'todo', 'to-do', 'notion', 'trello', 'jira',
    'pomodoro', 'focus', 'procrastinat', 'organiz', 'organis', 'plan my', 'morning routine', 'habit', 'time management',
    'productiv', 'workflow', 'meeting', 'remind', 'notes', 'journal', 'launch', 'side project', 'obsidian', 'early',
  ],
  private: [
    'diagnos', 'therap', 'depress', 'anxiety', 'adhd', 'bipolar', 'medication', 'hiv', 'pregnan', 'miscarriage',
    'debt', 'bankrupt', 'divorc', 'affair', 'arrest', 'lawsuit', 'password', 'social security', 'ssn', 'gay',
    'lesbian', 'bisexual', 'transgender', 'religio', 'salary', 'rehab', 'addict', 'illegal', 'criminal',
  ],
};
