import { DomainError } from '../errors/domain-error';
import { Principal } from './principal';

/**
 * The one district-scope rule. Admins act everywhere; a regulator acts in the districts its
 * codes cover (a province code covers every district of the province, a city code those of
 * the city); an institution reads only itself; a bank sees nothing of the register, only what
 * its own bank keeps (see `requireBankAccess`). Anything outside one's scope answers 404, so a
 * caller never learns what exists elsewhere.
 */

const ADMIN_CODE = /^\d{6}$/;

export type AccessMode = 'read' | 'supervise';

/** What the rule needs to know about an institution. */
export interface InstitutionScope {
  id: string;
  districtCode: string;
}

/** Where a listing may look: `districtPatterns` null means every district, `institutionId` one institution. */
export interface ScopeFilter {
  districtPatterns: string[] | null;
  institutionId: string | null;
}

export function isAdministrativeCode(code: string): boolean {
  return ADMIN_CODE.test(code);
}

/** `LIKE` pattern of the districts an administrative code covers: `31%`, `3101%` or the code itself. */
export function codePattern(code: string): string {
  if (code.endsWith('0000')) return `${code.slice(0, 2)}%`;
  if (code.endsWith('00')) return `${code.slice(0, 4)}%`;
  return code;
}

/** Does a regulator's administrative code cover `district` (a district, city or province code)? */
export function codeCovers(scopeCode: string, district: string): boolean {
  const pattern = codePattern(scopeCode);
  return pattern.endsWith('%') ? district.startsWith(pattern.slice(0, -1)) : pattern === district;
}

function coversDistrict(p: Principal, district: string): boolean {
  if (p.role === 'admin') return true;
  return p.role === 'regulator' && p.districts.some((code) => codeCovers(code, district));
}

const notFound = (what: string) => () => new DomainError('NOT_FOUND', `${what} not found`);

/**
 * Returns the institution when the principal may `read` it (see it) or `supervise` it (act on
 * the register); otherwise throws `notFound()` (404). An institution reading itself is in
 * scope, so asking it to supervise itself is 403 FORBIDDEN rather than a pretend 404.
 */
export function requireInstitutionAccess<T extends InstitutionScope>(
  p: Principal,
  institution: T | null | undefined,
  mode: AccessMode,
  onNotFound: () => Error = notFound('Institution'),
): T {
  if (!institution) throw onNotFound();
  if (coversDistrict(p, institution.districtCode)) return institution;
  if (p.role === 'institution' && p.institutionId === institution.id) {
    if (mode === 'read') return institution;
    throw new DomainError('FORBIDDEN', 'This action is for regulators and admins');
  }
  throw onNotFound();
}

/** The same rule as a yes/no, for filtering rows already read. */
export function mayAccessInstitution(p: Principal, institution: InstitutionScope, mode: AccessMode): boolean {
  return coversDistrict(p, institution.districtCode) || (mode === 'read' && p.role === 'institution' && p.institutionId === institution.id);
}

/**
 * For acts on a whole district, city or province code (registering in it, its review settings,
 * its policy, its audit): 404 DISTRICT_NOT_FOUND unless the principal covers the code.
 */
export function requireDistrict(p: Principal, code: string): void {
  if (!coversDistrict(p, code)) throw new DomainError('DISTRICT_NOT_FOUND', `District ${code} not found`, { districtCode: code });
}

/**
 * The bank rule: a bank's key reaches only what its own bank keeps (escrow accounts held there,
 * their ledger accounts, money movements and credits), named by the custody bank's code; admins
 * reach every bank's. Everyone else, and a missing bank code, is `onNotFound()` (404).
 */
export function mayAccessBank(p: Principal, bankCode: string | null | undefined): boolean {
  if (!bankCode) return false;
  return p.role === 'admin' || (p.role === 'bank' && p.bankCode === bankCode);
}

/** The bank rule as a guard: returns the bank code when the principal may act for it; otherwise throws `onNotFound()` (404). */
export function requireBankAccess(p: Principal, bankCode: string | null | undefined, onNotFound: () => Error = notFound('Bank')): string {
  if (!mayAccessBank(p, bankCode)) throw onNotFound();
  return bankCode!;
}

/** The scope as a SQL filter for listings (admins: all; regulators: their codes; institutions: themselves; banks: nothing). */
export function districtFilter(p: Principal): ScopeFilter {
  switch (p.role) {
    case 'admin':
      return { districtPatterns: null, institutionId: null };
    case 'regulator':
      return { districtPatterns: p.districts.map(codePattern), institutionId: null };
    case 'institution':
      return p.institutionId ? { districtPatterns: null, institutionId: p.institutionId } : { districtPatterns: [], institutionId: null };
    default:
      return { districtPatterns: [], institutionId: null };
  }
}
