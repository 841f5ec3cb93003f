/**
 * Unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters from an alphabet
 * of digits and upper-case letters without I, O, S, V, Z; characters 3-8 are the
 * administrative division code; the 18th is a check character over the first 17 with
 * weights 3^i mod 31, modulo 31.
 */
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const SHAPE = /^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/;

export function usccCheckCharacter(first17: string): string | null {
  if (first17.length !== 17) return null;
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const v = ALPHABET.indexOf(first17[i]);
    if (v < 0) return null;
    sum += v * WEIGHTS[i];
  }
  return ALPHABET[(31 - (sum % 31)) % 31];
}

export type UsccProblem = 'LENGTH' | 'CHARACTERS' | 'CHECK_CHARACTER';

/** Returns null for a valid code, otherwise what is wrong with it. */
export function validateUscc(code: string): UsccProblem | null {
  if (code.length !== 18) return 'LENGTH';
  if (!SHAPE.test(code)) return 'CHARACTERS';
  return usccCheckCharacter(code.slice(0, 17)) === code[17] ? null : 'CHECK_CHARACTER';
}

/** Upper-cases and strips spaces, as people type codes. */
export function normaliseUscc(code: string): string {
  return code.replace(/\s+/g, '').toUpperCase();
}
