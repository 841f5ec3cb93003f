import { Principal } from './principal';

const ADMIN_CODE = /^\d{6}$/;

export function isAdministrativeCode(code: string): boolean {
  return ADMIN_CODE.test(code);
}

/**
 * Does a regulator's administrative code cover a district? A province code (`310000`) covers
 * every code starting with its first two digits, a city code (`310100`) every code starting
 * with its first four, a district code only itself.
 */
export function codeCovers(scopeCode: string, district: string): boolean {
  if (scopeCode.endsWith('0000')) return district.startsWith(scopeCode.slice(0, 2));
  if (scopeCode.endsWith('00')) return district.startsWith(scopeCode.slice(0, 4));
  return scopeCode === district;
}

/** May this principal act on something located in `district`? Admins may act everywhere. */
export function principalCoversDistrict(principal: Principal, district: string): boolean {
  if (principal.role === 'admin') return true;
  if (principal.role !== 'regulator') return false;
  return principal.districts.some((code) => codeCovers(code, district));
}

/** SQL-friendly prefixes for a regulator's scope (`LIKE ANY`), e.g. `31%`, `3101%`, `310117`. */
export function districtLikePatterns(principal: Principal): string[] {
  return principal.districts.map((code) => {
    if (code.endsWith('0000')) return `${code.slice(0, 2)}%`;
    if (code.endsWith('00')) return `${code.slice(0, 4)}%`;
    return code;
  });
}
