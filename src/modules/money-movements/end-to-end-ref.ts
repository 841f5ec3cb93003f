import { randomBytes } from 'node:crypto';

/**
 * The reference the bank quotes back on its statement, so reconciliation can match each line
 * to its movement: at most 16 characters (MT940 `:61:` reference of the account owner) from
 * the SWIFT `x` character set, which camt.053's `EndToEndId` (35) also takes. We use upper-case
 * letters and digits only: no `/` (MT940 forbids a leading, trailing or double slash) and no
 * characters a bank might transliterate.
 */
export const END_TO_END_REF_LENGTH = 16;
const PREFIX = 'EM';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** SWIFT `x` set: a-z A-Z 0-9 / - ? : ( ) . , ' + and space. */
const SWIFT_X = /^[A-Za-z0-9/\-?:().,'+ ]+$/;

export function isSwiftReference(ref: string): boolean {
  return ref.length >= 1 && ref.length <= END_TO_END_REF_LENGTH && SWIFT_X.test(ref) && !ref.startsWith('/') && !ref.endsWith('/') && !ref.includes('//');
}

/** `EM` + 14 random base-36 characters (about 72 bits); the database keeps it unique. */
export function newEndToEndRef(random: (n: number) => Buffer = randomBytes): string {
  const bytes = random(END_TO_END_REF_LENGTH - PREFIX.length);
  let out = PREFIX;
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return out;
}
