/**
 * GetRandomPassword as its API reference defines it: PasswordLength 1 to 4096 (default 32);
 * ExcludeCharacters; ExcludeNumbers, ExcludePunctuation (the punctuation is
 * ``!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~``), ExcludeUppercase, ExcludeLowercase; IncludeSpace
 * (default false); RequireEachIncludedType (default true: at least one of every included type).
 */
import { randomInt } from 'node:crypto';
import { invalidParameter } from './errors.ts';

const TYPES = {
  lowercase: 'abcdefghijklmnopqrstuvwxyz',
  uppercase: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  numbers: '0123456789',
  punctuation: '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~',
  space: ' ',
} as const;

const pick = (alphabet: string) => alphabet[randomInt(alphabet.length)] ?? '';

export function randomPassword(input: Record<string, unknown>): { RandomPassword: string } {
  const length = input.PasswordLength === undefined ? 32 : input.PasswordLength;
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 1 || length > 4096) {
    throw invalidParameter('PasswordLength must be between 1 and 4096.');
  }
  const excluded = typeof input.ExcludeCharacters === 'string' ? input.ExcludeCharacters : '';
  const types: [boolean, string][] = [
    [input.ExcludeLowercase !== true, TYPES.lowercase],
    [input.ExcludeUppercase !== true, TYPES.uppercase],
    [input.ExcludeNumbers !== true, TYPES.numbers],
    [input.ExcludePunctuation !== true, TYPES.punctuation],
    [input.IncludeSpace === true, TYPES.space],
  ];
  const included = types
    .filter(([wanted]) => wanted)
    .map(([, t]) => t)
    .map((t) => [...t].filter((c) => !excluded.includes(c)).join(''))
    .filter((t) => t.length > 0);
  const requireEach = input.RequireEachIncludedType !== false;
  if (included.length === 0 || (requireEach && included.length > length)) {
    throw invalidParameter('The password cannot be generated with the given length and character types.');
  }
  const all = included.join('');
  const chars = requireEach ? included.map(pick) : [];
  while (chars.length < length) chars.push(pick(all));
  // A random order, so the required characters are not always first.
  for (let i = chars.length - 1; i > 0; i -= 1) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] ?? '', chars[i] ?? ''];
  }
  return { RandomPassword: chars.join('') };
}
