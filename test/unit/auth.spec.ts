import { codeCovers, principalCoversDistrict } from '../../src/common/auth/scope';
import { RateLimiter } from '../../src/common/auth/rate-limiter';
import { Principal } from '../../src/common/auth/principal';
import { generateApiKeyToken, hashApiKeyToken, looksLikeApiKey } from '../../src/modules/api-keys/api-key-token';

const regulator = (districts: string[]): Principal => ({ id: 'k', name: 'r', role: 'regulator', districts, institutionId: null, bankCode: null });

describe('district scope', () => {
  it.each([
    ['310000', '310117', true], // province covers its districts
    ['310100', '310117', true], // city covers its districts
    ['310117', '310117', true],
    ['310117', '310115', false],
    ['310100', '320117', false],
    ['440300', '440305', true],
    ['440300', '440105', false],
  ])('%s covers %s: %s', (scope, district, expected) => {
    expect(codeCovers(scope, district)).toBe(expected);
  });

  it('admins cover everything, institutions and banks no district', () => {
    expect(principalCoversDistrict({ ...regulator([]), role: 'admin' }, '110101')).toBe(true);
    expect(principalCoversDistrict({ ...regulator(['110101']), role: 'institution' }, '110101')).toBe(false);
    expect(principalCoversDistrict(regulator(['110101', '310000']), '310104')).toBe(true);
  });
});

describe('API key tokens', () => {
  it('have 32 random bytes, a recognisable prefix and a stable SHA-256 hash', () => {
    const a = generateApiKeyToken();
    const b = generateApiKeyToken();
    expect(a.token).not.toBe(b.token);
    expect(Buffer.from(a.token.slice(4), 'base64url')).toHaveLength(32);
    expect(looksLikeApiKey(a.token)).toBe(true);
    expect(hashApiKeyToken(a.token).equals(a.hash)).toBe(true);
    expect(a.hash).toHaveLength(32);
    expect(looksLikeApiKey('Bearer-nonsense')).toBe(false);
  });
});

describe('RateLimiter', () => {
  it('allows the limit per window per key and says how long to wait', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(2, 60_000, () => now);
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('b')).toBe(0);
    now += 15_000;
    expect(limiter.take('a')).toBe(45);
    now += 45_000;
    expect(limiter.take('a')).toBe(0);
  });
});
