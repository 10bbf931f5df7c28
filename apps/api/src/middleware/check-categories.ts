import { MnemoError, type TaxonomyEntry } from '@mnemo/core';

/** Unknown category names are a client error that lists the valid ones. */
export function checkCategories(taxonomy: TaxonomyEntry[], categories: string[] | undefined, field = 'categories'): void {
  if (!categories) return;
  const valid = taxonomy.map((c) => c.name);
  const unknown = categories.filter((c) => !valid.includes(c));
  if (unknown.length > 0) {
    throw new MnemoError('VALIDATION_ERROR', `Unknown categor${unknown.length > 1 ? 'ies' : 'y'}: ${unknown.join(', ')}`, [
      { field, message: `valid categories: ${valid.join(', ')}`, valid },
    ]);
  }
}
