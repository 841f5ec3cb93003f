import fc from 'fast-check';
import { Money } from '@common/money/money';
import { proRata } from '@modules/closures/pro-rata';

const m = (s: string, c = 'CNY') => Money.fromDb(s, c);

describe('pro rata split of a closure’s shortfall', () => {
  it('pays everyone in full when the pool covers every claim', () => {
    const shares = proRata(m('1000.00'), [{ key: 'a', claim: m('700.00') }, { key: 'b', claim: m('300.00') }]);
    expect(shares.map((s) => [s.key, s.payable.toString(), s.owed.toString()])).toEqual([['a', '700.00', '0.00'], ['b', '300.00', '0.00']]);
  });

  it('splits 1,000.00 among 700 / 500 / 300 exactly, the cent left over to the largest claim', () => {
    const shares = proRata(m('1000.00'), [{ key: 'c', claim: m('300.00') }, { key: 'a', claim: m('700.00') }, { key: 'b', claim: m('500.00') }]);
    // 700×1000/1500 = 466.666…, 500×… = 333.333…, 300×… = 200.00: 999.99 rounded down, 0.01 to a (largest).
    expect(shares.map((s) => [s.key, s.payable.toString(), s.owed.toString()])).toEqual([
      ['c', '200.00', '100.00'],
      ['a', '466.67', '233.33'],
      ['b', '333.33', '166.67'],
    ]);
  });

  it('ties among the largest claims go to the smallest key, whatever the input order', () => {
    const one = proRata(m('0.02'), [{ key: 'y', claim: m('1.00') }, { key: 'x', claim: m('1.00') }, { key: 'z', claim: m('1.00') }]);
    expect(Object.fromEntries(one.map((s) => [s.key, s.payable.toString()]))).toEqual({ x: '0.01', y: '0.01', z: '0.00' });
  });

  it('an empty pool pays nothing and everything stays owed; JPY has no minor unit', () => {
    expect(proRata(m('0.00'), [{ key: 'a', claim: m('5.00') }])[0].owed.toString()).toBe('5.00');
    const yen = proRata(m('10', 'JPY'), [{ key: 'a', claim: m('10', 'JPY') }, { key: 'b', claim: m('10', 'JPY') }, { key: 'c', claim: m('10', 'JPY') }]);
    expect(yen.map((s) => s.payable.toString())).toEqual(['4', '3', '3']);
  });

  it('refuses a negative pool and claims in another currency', () => {
    expect(() => proRata(m('-1.00'), [])).toThrow(/negative/);
    expect(() => proRata(m('1.00'), [{ key: 'a', claim: m('1', 'JPY') }])).toThrow(/JPY/);
  });

  it('property: shares add up to min(pool, Σclaims) to the cent, none above its claim, none below its rounded-down proportion', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.array(fc.bigInt({ min: 0n, max: 10n ** 10n }), { minLength: 1, maxLength: 30 }), (poolMinor, claimMinor) => {
        const pool = Money.fromMinor(poolMinor);
        const claims = claimMinor.map((c, i) => ({ key: `k${String(i).padStart(3, '0')}`, claim: Money.fromMinor(c) }));
        const total = claimMinor.reduce((s, c) => s + c, 0n);
        const shares = proRata(pool, claims);
        const paid = shares.reduce((s, x) => s + x.payable.toMinor(), 0n);
        expect(paid).toBe(poolMinor < total ? poolMinor : total);
        shares.forEach((s, i) => {
          expect(s.payable.toMinor() <= claimMinor[i]).toBe(true);
          expect(s.payable.plus(s.owed).eq(s.claim)).toBe(true);
          if (poolMinor < total) expect(s.payable.toMinor() >= (claimMinor[i] * poolMinor) / total).toBe(true);
        });
      }),
      { numRuns: 500 },
    );
  });
});
