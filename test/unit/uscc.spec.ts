import { normaliseUscc, usccCheckCharacter, validateUscc } from '@modules/institutions/uscc';

// Published codes of well-known companies, and the example printed in GB 32100-2015.
const REAL = [
  '91350100M000100Y43', // GB 32100-2015 example
  '91440300708461136T', // Huawei Technologies Co., Ltd.
  '9144030071526726XG', // Shenzhen Tencent Computer Systems Co., Ltd.
  '91110108551385082Q', // Beijing Xiaomi Technology Co., Ltd.
  '12100000400000624D', // a public institution (事业单位)
];
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

describe('unified social credit code (GB 32100-2015)', () => {
  it.each(REAL)('accepts the published code %s', (code) => {
    expect(validateUscc(code)).toBeNull();
  });

  it('rejects every single-character mutation of a real code', () => {
    let mutations = 0;
    for (const code of REAL) {
      for (let pos = 0; pos < 18; pos++) {
        for (const ch of ALPHABET) {
          if (ch === code[pos]) continue;
          const mutated = code.slice(0, pos) + ch + code.slice(pos + 1);
          // A change in the division code may leave the shape valid; the check character still catches it.
          expect(validateUscc(mutated)).not.toBeNull();
          mutations += 1;
        }
      }
    }
    expect(mutations).toBe(REAL.length * 18 * 30);
  });

  it('names the problem: length, characters (I, O, S, V, Z are not in the alphabet), check character', () => {
    expect(validateUscc('91440300708461136')).toBe('LENGTH');
    expect(validateUscc('91440300708461136TX')).toBe('LENGTH');
    expect(validateUscc('9144030070846113IT')).toBe('CHARACTERS');
    expect(validateUscc('91440300708461136S')).toBe('CHARACTERS');
    expect(validateUscc('91A40300708461136T')).toBe('CHARACTERS'); // division code must be digits
    expect(validateUscc('91440300708461136U')).toBe('CHECK_CHARACTER');
  });

  it('computes the check character, including the 0 case', () => {
    expect(usccCheckCharacter('91440300708461136')).toBe('T');
    expect(usccCheckCharacter('9144030070846113')).toBeNull();
    expect(normaliseUscc(' 9144 0300 7084 6113 6t ')).toBe('91440300708461136T');
  });
});
