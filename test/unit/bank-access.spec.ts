import { mayAccessBank, requireBankAccess } from '@common/auth/access';
import { Principal, Role } from '@common/auth/principal';
import { DomainError } from '@common/errors/domain-error';

const key = (role: Role, over: Partial<Principal> = {}): Principal => ({ id: 'k', name: role, role, districts: [], institutionId: null, bankCode: null, ...over });

const outcome = (fn: () => unknown): string => {
  try {
    return `ok ${String(fn())}`;
  } catch (err) {
    return err instanceof DomainError ? `${err.status} ${err.code}` : String(err);
  }
};

describe('the bank rule', () => {
  it.each([
    ['the bank itself', key('bank', { bankCode: 'ICBC-SH' }), 'ICBC-SH', 'ok ICBC-SH'],
    ['another bank', key('bank', { bankCode: 'BOC-SH' }), 'ICBC-SH', '404 NOT_FOUND'],
    ['a bank key without a bank code', key('bank'), 'ICBC-SH', '404 NOT_FOUND'],
    ['an admin', key('admin'), 'ICBC-SH', 'ok ICBC-SH'],
    ['a regulator of every district', key('regulator', { districts: ['310000'] }), 'ICBC-SH', '404 NOT_FOUND'],
    ['an institution', key('institution', { institutionId: 'inst-1' }), 'ICBC-SH', '404 NOT_FOUND'],
    ['the bank, for something no bank keeps', key('bank', { bankCode: 'ICBC-SH' }), null, '404 NOT_FOUND'],
    ['an admin, for something no bank keeps', key('admin'), undefined, '404 NOT_FOUND'],
  ] as const)('%s', (_name, p, bankCode, expected) => {
    expect(outcome(() => requireBankAccess(p, bankCode))).toBe(expected);
    expect(mayAccessBank(p, bankCode)).toBe(expected.startsWith('ok'));
  });

  it("answers with the caller's own not-found error, so a 404 names only what was asked for", () => {
    const notFound = () => new DomainError('SETTLEMENT_INSTRUCTION_NOT_FOUND', 'Settlement instruction x not found');
    expect(outcome(() => requireBankAccess(key('bank', { bankCode: 'BOC-SH' }), 'ICBC-SH', notFound))).toBe('404 SETTLEMENT_INSTRUCTION_NOT_FOUND');
    // Bank codes are compared exactly: no prefix or case folding.
    expect(mayAccessBank(key('bank', { bankCode: 'ICBC' }), 'ICBC-SH')).toBe(false);
    expect(mayAccessBank(key('bank', { bankCode: 'icbc-sh' }), 'ICBC-SH')).toBe(false);
  });
});
