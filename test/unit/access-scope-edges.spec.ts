import { isAdministrativeCode, mayAccessBank, mayAccessInstitution, requireBankAccess, requireDistrict, requireInstitutionAccess } from '@common/auth/access';
import { Principal, Role } from '@common/auth/principal';
import { DomainError } from '@common/errors/domain-error';

// Edges of the one scope rule that the table tests of auth.spec.ts and bank-access.spec.ts leave open
// (found by mutation testing, `npm run test:mutation`): the rule goes by role, not by whichever
// scope fields a key happens to carry.
const key = (role: Role, over: Partial<Principal> = {}): Principal => ({ id: 'k', name: role, role, districts: [], institutionId: null, bankCode: null, ...over });
const inst = { id: 'inst-1', districtCode: '310117' };

const thrown = (fn: () => unknown): DomainError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
};

describe('district scope goes by role', () => {
  it('district codes count only on a regulator key', () => {
    for (const role of ['institution', 'bank'] as const) {
      const p = key(role, { districts: ['310117'] });
      expect(thrown(() => requireInstitutionAccess(p, inst, 'read')).code).toBe('NOT_FOUND');
      expect(mayAccessInstitution(p, inst, 'read')).toBe(false);
      expect(thrown(() => requireDistrict(p, '310117')).code).toBe('DISTRICT_NOT_FOUND');
    }
  });

  it('a regulator needs one of its codes to cover the district, not all of them', () => {
    const p = key('regulator', { districts: ['440300', '310117'] });
    expect(requireInstitutionAccess(p, inst, 'supervise')).toBe(inst);
    expect(mayAccessInstitution(p, inst, 'supervise')).toBe(true);
    expect(() => requireDistrict(p, '310117')).not.toThrow();
  });

  it('"the institution itself" needs an institution key: another role with that institution id gets 404', () => {
    for (const role of ['regulator', 'bank'] as const) {
      const p = key(role, { institutionId: 'inst-1' });
      expect(thrown(() => requireInstitutionAccess(p, inst, 'read')).code).toBe('NOT_FOUND');
      expect(thrown(() => requireInstitutionAccess(p, inst, 'supervise')).code).toBe('NOT_FOUND');
      expect(mayAccessInstitution(p, inst, 'read')).toBe(false);
    }
  });

  it('a bank code counts only on a bank key', () => {
    for (const role of ['institution', 'regulator'] as const) {
      const p = key(role, { bankCode: 'ICBC-SH' });
      expect(mayAccessBank(p, 'ICBC-SH')).toBe(false);
      expect(thrown(() => requireBankAccess(p, 'ICBC-SH')).code).toBe('NOT_FOUND');
    }
  });

  it('an administrative code is exactly six digits', () => {
    expect(isAdministrativeCode('3101170')).toBe(false);
    expect(isAdministrativeCode('x310117')).toBe(false);
    expect(isAdministrativeCode('310117x')).toBe(false);
  });
});

describe('the answers name what was not found', () => {
  it('institution, district and bank', () => {
    const regulatorElsewhere = key('regulator', { districts: ['310115'] });
    expect(thrown(() => requireInstitutionAccess(regulatorElsewhere, inst, 'read'))).toMatchObject({ code: 'NOT_FOUND', message: 'Institution not found' });
    expect(thrown(() => requireInstitutionAccess(regulatorElsewhere, null, 'read'))).toMatchObject({ message: 'Institution not found' });
    expect(thrown(() => requireDistrict(regulatorElsewhere, '310117'))).toMatchObject({
      code: 'DISTRICT_NOT_FOUND',
      message: 'District 310117 not found',
      details: { districtCode: '310117' },
    });
    expect(thrown(() => requireBankAccess(key('bank', { bankCode: 'BOC-SH' }), 'ICBC-SH'))).toMatchObject({ code: 'NOT_FOUND', message: 'Bank not found' });
  });

  it('an institution asking to supervise itself is told why', () => {
    const own = key('institution', { institutionId: 'inst-1' });
    expect(thrown(() => requireInstitutionAccess(own, inst, 'supervise'))).toMatchObject({ code: 'FORBIDDEN', message: 'This action is for regulators and admins' });
  });
});
