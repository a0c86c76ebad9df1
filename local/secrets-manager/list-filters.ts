/**
 * ListSecrets' filters as AWS matches them (API reference, Filter): `name`, `tag-key`,
 * `tag-value`, `primary-region` and `owning-service` are case-sensitive prefix matches of the
 * whole value; `description` and `all` match words, not case-sensitive, `all` over the name, the
 * description and every tag key and value. moto's aws_verified list tests show the words: a value
 * of several words needs each to start a word ("o t" finds "one two"), words split at spaces,
 * punctuation and lower-to-upper case changes ("t" finds "DescTwo", "ret" does not find
 * "SecretOne"). A value starting with "!" negates; several values of one filter are ORed,
 * several filters ANDed (test_with_duplicate_filter_keys, test_with_filter_with_negation).
 */
import { invalidParameter, validationError } from './errors.ts';

export interface Filterable {
  readonly name: string;
  readonly description?: string;
  readonly tags: ReadonlyMap<string, string>;
}

const KEYS = [
  'description',
  'name',
  'tag-key',
  'tag-value',
  'primary-region',
  'owning-service',
  'all',
] as const;
type FilterKey = (typeof KEYS)[number];
/** The Filter API reference's pattern and limits for Values. */
const VALUE = /^!?[a-zA-Z0-9 :_@/+=.\-!]*$/;

export interface Filter {
  readonly key: FilterKey;
  readonly values: readonly string[];
}

export function parseFilters(input: unknown): Filter[] {
  if (input === undefined) return [];
  if (!Array.isArray(input) || input.length > 10) {
    throw invalidParameter('Filters must be a list of at most 10 filters.');
  }
  return input.map((raw: { Key?: unknown; Values?: unknown }, index) => {
    const key = raw?.Key;
    if (typeof key !== 'string' || !(KEYS as readonly string[]).includes(key)) {
      throw validationError(
        String(key),
        `filters.${index + 1}.member.key`,
        `Member must satisfy enum value set: [${KEYS.join(', ')}]`,
      );
    }
    const values = raw.Values;
    if (
      !Array.isArray(values) ||
      values.length === 0 ||
      values.length > 10 ||
      !values.every((v) => typeof v === 'string' && v.length <= 512 && VALUE.test(v))
    ) {
      throw invalidParameter(`Invalid filter values for key: ${key}`);
    }
    return { key: key as FilterKey, values };
  });
}

/** Words as the search splits them: at non-alphanumerics and where lower case turns upper. */
function words(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

function wordMatch(value: string, texts: readonly string[]): boolean {
  const have = texts.flatMap(words);
  const wanted = words(value);
  return wanted.length > 0 && wanted.every((w) => have.some((h) => h.startsWith(w)));
}

function positiveMatch(key: FilterKey, value: string, secret: Filterable): boolean {
  switch (key) {
    case 'name':
      return secret.name.startsWith(value);
    case 'tag-key':
      return [...secret.tags.keys()].some((k) => k.startsWith(value));
    case 'tag-value':
      return [...secret.tags.values()].some((v) => v.startsWith(value));
    case 'description':
      return wordMatch(value, [secret.description ?? '']);
    case 'all':
      return wordMatch(value, [
        secret.name,
        secret.description ?? '',
        ...secret.tags.keys(),
        ...secret.tags.values(),
      ]);
    // No secret here is replicated or owned by another service: neither has a value to match.
    case 'primary-region':
    case 'owning-service':
      return false;
  }
}

export function matchesFilters(filters: readonly Filter[], secret: Filterable): boolean {
  return filters.every(({ key, values }) =>
    values.some((value) =>
      value.startsWith('!') ? !positiveMatch(key, value.slice(1), secret) : positiveMatch(key, value, secret),
    ),
  );
}
