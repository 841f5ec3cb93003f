import { Principal } from './principal';
import { districtLikePatterns, principalCoversDistrict } from './scope';

/**
 * Can this principal see something that belongs to `institutionId` in `districtCode`?
 * Admins: everything. Regulators: their districts. Institutions: themselves. Banks: none of it.
 * Callers answer 404 (not 403) when it says no, so existence never leaks.
 */
export function canSeeInstitution(p: Principal, institutionId: string, districtCode: string): boolean {
  if (p.role === 'admin') return true;
  if (p.role === 'regulator') return principalCoversDistrict(p, districtCode);
  if (p.role === 'institution') return p.institutionId === institutionId;
  return false;
}

/** Regulators and admins act on the register; institutions only read (and apply for licences). */
export function canSuperviseInstitution(p: Principal, districtCode: string): boolean {
  return p.role === 'admin' || (p.role === 'regulator' && principalCoversDistrict(p, districtCode));
}

/** District filter for listings: null means every district. */
export function districtFilter(p: Principal): string[] | null {
  return p.role === 'admin' ? null : p.role === 'regulator' ? districtLikePatterns(p) : [];
}
