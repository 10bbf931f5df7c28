/** The memory taxonomy. MemSync's ten categories; the one list in mnemo. */
export const CATEGORIES = [
  { name: 'identity', description: 'Personal information: name, age, background, where they live and come from' },
  { name: 'career', description: 'Work history, profession, employer, role, professional goals' },
  { name: 'interests', description: 'Hobbies, passions, tastes and recreational activities' },
  { name: 'relationships', description: 'Family, partner, friends, pets and social connections' },
  { name: 'health', description: 'Medical history, fitness, diet, wellness and health behaviours' },
  { name: 'finance', description: 'Budget, income, investments, purchases and financial goals' },
  { name: 'learning', description: 'Education, skills, courses and knowledge goals' },
  { name: 'travel', description: 'Past trips, travel plans, favourite destinations' },
  { name: 'productivity', description: 'Tasks, projects, deadlines, tools and ways of working' },
  { name: 'private', description: 'Sensitive or confidential personal information' },
] as const;

export type Category = (typeof CATEGORIES)[number]['name'];
