import { DomainError } from '@common/errors/domain-error';
import { Money } from '@common/money/money';

export interface Claim {
  /** Who is owed (a contract id); ties are broken by this key, so the split never depends on input order. */
  key: string;
  claim: Money;
}

export interface Share {
  key: string;
  claim: Money;
  /** What is paid now. */
  payable: Money;
  /** What stays owed: claim − payable. */
  owed: Money;
}

/**
 * Splits `pool` among `claims` pro rata, exactly: each share is claim × pool / Σclaims rounded down
 * to the currency's minor unit (BigInt arithmetic, no float), and the cents left over by the rounding
 * go one each to the largest claims (ties: the smallest key), never above a claim. When the pool covers
 * every claim, each is paid in full and nothing is owed. Shares add up to min(pool, Σclaims) to the cent.
 */
export function proRata(pool: Money, claims: Claim[]): Share[] {
  const currency = pool.currency;
  if (pool.isNegative()) throw new DomainError('INVALID_AMOUNT', 'The pool of a pro rata split cannot be negative', { pool: pool.toString() });
  for (const c of claims) {
    if (c.claim.currency !== currency) throw new DomainError('CURRENCY_MISMATCH', `Claim ${c.key} is in ${c.claim.currency}, the pool in ${currency}`);
    if (c.claim.isNegative()) throw new DomainError('INVALID_AMOUNT', `Claim ${c.key} is negative`);
  }
  const total = claims.reduce((s, c) => s + c.claim.toMinor(), 0n);
  const available = pool.toMinor();
  if (available >= total) return claims.map((c) => ({ key: c.key, claim: c.claim, payable: c.claim, owed: Money.zero(currency) }));
  const minor = claims.map((c) => c.claim.toMinor());
  const shares = minor.map((m) => (total === 0n ? 0n : (m * available) / total));
  let left = available - shares.reduce((s, x) => s + x, 0n);
  // Each share lost less than one cent to rounding, so fewer cents are left than there are claims.
  const order = claims.map((_, i) => i).sort((a, b) => (minor[b] > minor[a] ? 1 : minor[b] < minor[a] ? -1 : claims[a].key < claims[b].key ? -1 : claims[a].key > claims[b].key ? 1 : 0));
  for (const i of order) {
    if (left === 0n) break;
    if (shares[i] < minor[i]) {
      shares[i] += 1n;
      left -= 1n;
    }
  }
  return claims.map((c, i) => {
    const payable = Money.fromMinor(shares[i], currency);
    return { key: c.key, claim: c.claim, payable, owed: c.claim.minus(payable) };
  });
}
