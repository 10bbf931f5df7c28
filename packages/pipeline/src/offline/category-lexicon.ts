import type { Category } from '@mnemo/core';

/**
 * Words that signal each category, for the offline categorizer. A plain
 * entry matches the whole word and its regular inflections (-s, -es, -ed,
 * -ing, -er); an entry ending in * matches any word starting with it.
 */
export const CATEGORY_LEXICON: Record<Category, string[]> = {
  identity: [
    'name is', 'years old', 'born', 'live in', 'lives in', 'living in', 'grew up', 'originally from', 'am from',
    'is from', 'come from', 'moved to', 'moving to', 'nationality', 'citizen*', 'birthday', 'introvert*', 'extrovert*',
    'pronouns', 'hometown', 'identif*', 'left-handed', 'personality', 'religio*', 'christian', 'muslim', 'jewish',
    'buddhist', 'hindu', 'atheist', 'speak', 'speaks', 'fluent*', 'native', 'apartment', 'neighborhood',
    'neighbourhood', 'house in', 'flat in',
  ],
  career: [
    'job', 'work', 'career', 'promot*', 'engineer', 'developer', 'manager', 'boss', 'colleague*', 'coworker*',
    'co-worker*', 'company', 'companies', 'startup', 'office', 'salary', 'hire', 'fire', 'quit', 'resign*',
    'interview', 'employ*', 'client', 'profession*', 'intern', 'internship', 'nurse', 'teach', 'teaches', 'teacher',
    'doctor', 'lawyer', 'designer', 'consultant', 'freelanc*', 'business', 'team of', 'lead', 'leading', 'ceo', 'cto',
    'founder', 'product manager', 'customer', 'shift', 'retire', 'contract', 'accountant', 'architect', 'scientist',
    'analyst', 'researcher', 'chef', 'bakery', 'restaurant', 'hospital', 'google', 'microsoft', 'amazon', 'meta',
    'apple', 'stripe', 'booking.com', 'software', 'backend', 'frontend', 'infrastructure', 'recommendation system',
    'deadline', 'sales', 'marketing', 'industry', 'pilot', 'mechanic', 'electrician', 'firm', 'report',
    'staff engineer', 'role', 'conference', 'presenting', 'talk', 'certification',
  ],
  interests: [
    'love', 'enjoy', 'like', 'hobby', 'hobbies', 'favorite', 'favourite', 'fan of', 'passion*', 'hike', 'guitar',
    'bass', 'piano', 'music', 'band', 'concert', 'movie', 'film', 'book', 'novel', 'read', 'game', 'gaming', 'play',
    'paint', 'draw', 'photograph*', 'cook', 'bake', 'baking', 'garden', 'knit', 'chess', 'sci-fi', 'science fiction',
    'fantasy', 'anime', 'podcast', 'football', 'soccer', 'basketball', 'tennis', 'climb', 'surf', 'ski', 'fishing',
    'camp', 'collect', 'sing', 'dance', 'jazz', 'rock', 'series', 'show', 'sushi', 'coffee', 'wine', 'beer', 'food',
    'cuisine', 'pizza', 'pasta', 'tea', 'spicy', 'woodworking', 'author', 'park', 'strategy games', 'bees', 'beekeeping', 'birdwatching', 'pottery', 'crochet',
  ],
  relationships: [
    'wife', 'husband', 'partner', 'girlfriend', 'boyfriend', 'fiance', 'fiancé', 'fiancée', 'married', 'marry',
    'wedding', 'divorc*', 'son', 'daughter', 'kid', 'child', 'children', 'baby', 'mom', 'mum', 'mother', 'dad',
    'father', 'parent', 'brother', 'sister', 'sibling', 'friend', 'family', 'families', 'grandm*', 'grandp*',
    'uncle', 'aunt', 'cousin', 'niece', 'nephew', 'dog', 'cat', 'pet', 'puppy', 'puppies', 'kitten', 'roommate',
    'neighbor', 'neighbour', 'dating', 'twins', 'in-law*', 'anniversary', 'adopt', 'shelter',
  ],
  health: [
    'health*', 'diagnos*', 'allerg*', 'diabet*', 'asthma', 'migraine', 'injur*', 'sprain', 'surgery', 'surgeries',
    'therap*', 'medication*', 'prescri*', 'melatonin', 'pill', 'sick', 'ill', 'illness', 'pain', 'knee', 'ankle',
    'wrist', 'shoulder', 'hip', 'back pain', 'sleep', 'insomnia', 'diet', 'calorie*', 'weight', 'gym', 'workout',
    'exercise', 'run', 'runs', 'running', 'marathon', 'yoga', 'fitness', 'lift', 'protein', 'gluten', 'lactose',
    'intoleran*', 'pregnan*', 'anxiety', 'depress*', 'adhd', 'mental', 'blood pressure', 'cholesterol', 'vegetarian',
    'vegan', 'meat', 'dairy', 'fish', 'peanut*', 'nuts', 'sugar', 'smok*', 'alcohol', 'sober', 'physio*', 'covid',
    'flu', 'cancer', 'heart', 'dentist', 'hospital', 'meditat*', 'steps', 'swim', 'cycl*', 'bike', 'doctor',
    'recover*', 'training for', 'metformin', 'insulin', 'gp', 'medicine', 'meds', 'physician', 'clinic', 'checkup',
  ],
  finance: [
    'money', 'budget', 'save', 'saving', 'savings', 'invest*', 'stock', 'crypto*', 'bitcoin', 'mortgage', 'rent',
    'loan', 'debt', 'credit', 'salary', 'income', 'earn', 'pay', 'paid', 'bank', 'retirement', '401k', 'ira',
    'pension', 'tax', 'taxes', 'spend', 'expens*', 'afford*', 'price', 'cost', 'dollar', 'euro', 'financ*',
    'insurance', 'down payment', 'portfolio', 'fund', 'index funds', '$*', '€*', '£*', 'put away',
  ],
  learning: [
    'learn', 'learnt', 'study', 'studies', 'studied', 'studying', 'course', 'class', 'degree', 'university',
    'college', 'school', 'phd', 'master*', 'bachelor*', 'mba', 'graduat*', 'exam', 'certif*', 'bootcamp', 'tutor',
    'lesson', 'language', 'spanish', 'french', 'german', 'japanese', 'mandarin', 'italian', 'portuguese', 'rust',
    'python', 'javascript', 'programming', 'coding', 'skill', 'major', 'thesis', 'lecture', 'semester', 'homework',
    'duolingo', 'training', 'coursera', 'udemy', 'research',
  ],
  travel: [
    'trip', 'travel', 'vacation', 'holiday', 'flight', 'fly', 'flies', 'flying', 'flew', 'visit', 'tour', 'abroad',
    'passport', 'visa', 'hotel', 'airbnb', 'beach', 'backpack', 'itinerary', 'cruise', 'road trip', 'japan', 'tokyo',
    'kyoto', 'paris', 'london', 'rome', 'italy', 'spain', 'barcelona', 'mexico', 'thailand', 'vietnam', 'peru',
    'iceland', 'europe', 'asia', 'honeymoon', 'destination', 'airport', 'airline', 'window seat', 'red-eye', 'klm',
    'inca trail', 'layover*', 'jet lag', 'stopover', 'sightseeing',
  ],
  productivity: [
    'task', 'project', 'deadline', 'schedule', 'calendar', 'routine', 'todo', 'to-do', 'notion', 'todoist',
    'trello', 'jira', 'pomodoro', 'focus', 'procrastinat*', 'organiz*', 'organis*', 'plan my', 'morning', 'habit',
    'time management', 'productiv*', 'workflow', 'meeting', 'remind*', 'notes', 'journal', 'side project',
    'obsidian', 'deep work', 'weekly review', 'wake up', 'wakes up', 'report', 'finish',
  ],
  private: [
    'diagnos*', 'therap*', 'depress*', 'anxiety', 'adhd', 'bipolar', 'medication*', 'prescri*', 'insomnia', 'hiv',
    'pregnan*', 'miscarriage', 'debt', 'bankrupt*', 'divorc*', 'affair', 'arrest*', 'lawsuit', 'password',
    'social security', 'ssn', 'gay', 'lesbian', 'bisexual', 'transgender', 'religio*', 'salary', 'rehab', 'addict*',
    'illegal', 'criminal',
  ],
};
