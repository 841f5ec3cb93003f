import { codeCovers, codePattern, districtFilter, isAdministrativeCode, mayAccessInstitution, requireDistrict, requireInstitutionAccess } from '@common/auth/access';
import { RateLimiter } from '@common/auth/rate-limiter';
import { Principal, Role } from '@common/auth/principal';
import { DomainError } from '@common/errors/domain-error';
import { generateApiKeyToken, hashApiKeyToken, looksLikeApiKey } from '@modules/api-keys/api-key-token';

const key = (role: Role, over: Partial<Principal> = {}): Principal => ({ id: 'k', name: role, role, districts: [], institutionId: null, bankCode: null, ...over });
const regulator = (districts: string[]): Principal => key('regulator', { districts });
const admin = key('admin');
const ownInstitution = key('institution', { institutionId: 'inst-1' });
const bank = key('bank', { bankCode: 'ICBC-SH' });
const inst = { id: 'inst-1', districtCode: '310117' };
const other = { id: 'inst-2', districtCode: '310117' };

const codeOf = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof DomainError ? `${err.status} ${err.code}` : String(err);
  }
};

describe('district scope', () => {
  it.each([
    ['310000', '310117', true], // province covers its districts
    ['310100', '310117', true], // city covers its districts
    ['310117', '310117', true],
    ['310117', '310115', false],
    ['310100', '320117', false],
    ['440300', '440305', true],
    ['440300', '440105', false],
    ['310117', '310100', false], // a district regulator does not cover its city
    ['310100', '310100', true],
  ])('%s covers %s: %s', (scope, district, expected) => {
    expect(codeCovers(scope, district)).toBe(expected);
  });

  it('turns codes into LIKE patterns and knows what an administrative code is', () => {
    expect([codePattern('310000'), codePattern('310100'), codePattern('310117')]).toEqual(['31%', '3101%', '310117']);
    expect(isAdministrativeCode('310117')).toBe(true);
    expect(isAdministrativeCode('31011')).toBe(false);
    expect(isAdministrativeCode('31011x')).toBe(false);
  });

  describe('requireInstitutionAccess', () => {
    it.each([
      ['admin', admin, 'read', inst, null],
      ['admin', admin, 'supervise', inst, null],
      ['regulator of the district', regulator(['310117']), 'supervise', inst, null],
      ['regulator of the city', regulator(['310100']), 'supervise', inst, null],
      ['regulator of the province, reading', regulator(['310000']), 'read', inst, null],
      ['regulator of another district, reading', regulator(['310115']), 'read', inst, '404 NOT_FOUND'],
      ['regulator of another district, supervising', regulator(['310115']), 'supervise', inst, '404 NOT_FOUND'],
      ['the institution itself, reading', ownInstitution, 'read', inst, null],
      ['the institution itself, supervising', ownInstitution, 'supervise', inst, '403 FORBIDDEN'],
      ['another institution, reading', ownInstitution, 'read', other, '404 NOT_FOUND'],
      ['another institution, supervising', ownInstitution, 'supervise', other, '404 NOT_FOUND'],
      ['a bank', bank, 'read', inst, '404 NOT_FOUND'],
      ['anyone, for an institution that does not exist', admin, 'read', null, '404 NOT_FOUND'],
    ] as const)('%s (%s): %s', (_name, p, mode, target, expected) => {
      expect(codeOf(() => requireInstitutionAccess(p, target, mode))).toBe(expected);
      if (target) expect(mayAccessInstitution(p, target, mode)).toBe(expected === null);
    });

    it('answers with the caller\'s own not-found error, so a 404 names only what was asked for', () => {
      const notFound = () => new DomainError('LICENCE_NOT_FOUND', 'Licence x not found');
      expect(codeOf(() => requireInstitutionAccess(regulator(['310115']), inst, 'read', notFound))).toBe('404 LICENCE_NOT_FOUND');
      expect(requireInstitutionAccess(regulator(['310117']), inst, 'read', notFound)).toBe(inst);
    });
  });

  it('requireDistrict: 404 DISTRICT_NOT_FOUND outside one\'s codes, never 403', () => {
    expect(codeOf(() => requireDistrict(regulator(['310117']), '310117'))).toBeNull();
    expect(codeOf(() => requireDistrict(regulator(['310100']), '310117'))).toBeNull();
    expect(codeOf(() => requireDistrict(regulator(['310100']), '310100'))).toBeNull();
    expect(codeOf(() => requireDistrict(regulator(['310117']), '310100'))).toBe('404 DISTRICT_NOT_FOUND');
    expect(codeOf(() => requireDistrict(regulator(['310115']), '310117'))).toBe('404 DISTRICT_NOT_FOUND');
    expect(codeOf(() => requireDistrict(admin, '110101'))).toBeNull();
    expect(codeOf(() => requireDistrict(ownInstitution, '310117'))).toBe('404 DISTRICT_NOT_FOUND');
    expect(codeOf(() => requireDistrict(bank, '310117'))).toBe('404 DISTRICT_NOT_FOUND');
  });

  it('districtFilter: admins everything, regulators their patterns, institutions themselves, banks nothing', () => {
    expect(districtFilter(admin)).toEqual({ districtPatterns: null, institutionId: null });
    expect(districtFilter(regulator(['310000', '440305']))).toEqual({ districtPatterns: ['31%', '440305'], institutionId: null });
    expect(districtFilter(ownInstitution)).toEqual({ districtPatterns: null, institutionId: 'inst-1' });
    expect(districtFilter(bank)).toEqual({ districtPatterns: [], institutionId: null });
    // An institution key without an institution sees nothing rather than everything.
    expect(districtFilter(key('institution'))).toEqual({ districtPatterns: [], institutionId: null });
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
  it('allows the limit per window per key and says how long to wait', async () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(2, 60_000, () => now);
    expect(await limiter.take('a')).toBe(0);
    expect(await limiter.take('a')).toBe(0);
    expect(await limiter.take('b')).toBe(0);
    now += 15_000;
    expect(await limiter.take('a')).toBe(45);
    now += 45_000;
    expect(await limiter.take('a')).toBe(0);
  });
});
