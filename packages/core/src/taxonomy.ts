import { CATEGORIES } from './categories';

export interface TaxonomyEntry {
  name: string;
  description: string;
  builtin: boolean;
}

/**
 * The categories in force: the ten built-ins plus the operator's custom ones
 * (MNEMO_CUSTOM_CATEGORIES). Extractors assign from it; filters are checked against it.
 */
export function buildTaxonomy(custom: { name: string; description: string }[]): TaxonomyEntry[] {
  const builtins = CATEGORIES.map((c) => ({ name: c.name, description: c.description, builtin: true }));
  const extra = custom.filter((c) => !builtins.some((b) => b.name === c.name)).map((c) => ({ ...c, builtin: false }));
  return [...builtins, ...extra];
}
