import { getDataSourceToken } from '@nestjs/typeorm';
import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { Money } from '@common/money/money';
import { LedgerService } from '@modules/ledger/ledger.service';
import { EscrowBook, fund, ledgerViolations, openContract, openEscrowBook, refund, release } from '../support/ledger-fixtures';
import { fcSeed } from '../support/reliability-fixtures';
import { startTestApp, TestApp } from '../support/test-app';

type Op =
  | { kind: 'fund' | 'release' | 'refund'; contract: number; fen: number }
  | { kind: 'reverse'; pick: number }
  | { kind: 'burst'; ops: { kind: 'fund' | 'release' | 'refund'; contract: number; fen: number }[] };

const money = fc.integer({ min: 1, max: 500_00 });
const simple = fc.record({ kind: fc.constantFrom('fund' as const, 'release' as const, 'refund' as const), contract: fc.integer({ min: 0, max: 2 }), fen: money });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: simple },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reverse' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('burst' as const), ops: fc.array(simple, { minLength: 2, maxLength: 12 }) }) },
);

/**
 * Random sequences of fundings, releases, refunds, reversals and concurrent bursts against
 * the real ledger. After every sequence: every transaction sums to zero, every balance equals
 * the sum of its postings, nothing that may not go negative is negative, and for every
 * contract paid in = released + refunded + held. For the sequential part a model predicts
 * each contract's held amount exactly.
 */
describe('ledger properties (fast-check against PostgreSQL)', () => {
  let t: TestApp;
  let ledger: LedgerService;
  let ds: DataSource;
  beforeAll(async () => {
    t = await startTestApp({ env: { PROCESS_ROLE: 'api', DATABASE_POOL_SIZE: '20' } });
    ledger = t.app.get(LedgerService);
    ds = t.app.get<DataSource>(getDataSourceToken());
  });
  afterAll(() => t.close());

  it('keeps every invariant over random operation sequences', async () => {
    // FC_SEED replays a run: the seed is printed whether the property holds or not (and fast-check repeats it in a failure).
    const seed = fcSeed();
    process.stdout.write(`ledger properties: seed ${seed} (replay with FC_SEED=${seed})\n`);
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        runs += 1;
        const book: EscrowBook = openEscrowBook();
        const contracts = [0, 1, 2].map(() => openContract(book));
        const model = [0n, 0n, 0n];
        // A contract's outcome stays predictable until a burst or reversal touches it.
        const exact = [true, true, true];
        const posted: { id: string; contract: number }[] = [];
        const apply = async (o: { kind: 'fund' | 'release' | 'refund'; contract: number; fen: number }) => {
          const amount = Money.fromMinor(BigInt(o.fen)).toString();
          try {
            const r = await (o.kind === 'fund' ? fund : o.kind === 'release' ? release : refund)(ledger, ds, contracts[o.contract], amount);
            posted.push({ id: r.id, contract: o.contract });
            model[o.contract] += o.kind === 'fund' ? BigInt(o.fen) : -BigInt(o.fen);
            return true;
          } catch (err) {
            expect((err as { code: string }).code).toBe('INSUFFICIENT_FUNDS');
            expect(o.kind).not.toBe('fund');
            if (exact[o.contract]) expect(model[o.contract]).toBeLessThan(BigInt(o.fen)); // refused only when it would overdraw
            return false;
          }
        };
        for (const o of ops) {
          if (o.kind === 'burst') {
            for (const b of o.ops) exact[b.contract] = false;
            await Promise.all(o.ops.map(apply));
          } else if (o.kind === 'reverse') {
            if (posted.length === 0) continue;
            const target = posted[o.pick % posted.length];
            exact[target.contract] = false;
            await ledger.reverse(target.id, 'property test', null).catch((err: { code: string }) => {
              expect(['ALREADY_REVERSED', 'INSUFFICIENT_FUNDS', 'CONFLICT']).toContain(err.code);
            });
          } else {
            await apply(o);
          }
        }
        for (const [i, c] of contracts.entries()) {
          const b = await ledger.contractFunds(c.owner);
          expect(b.held.isNegative()).toBe(false);
          expect(b.paidIn.plus(b.other).eq(b.released.plus(b.refunded).plus(b.held))).toBe(true);
          if (exact[i]) expect(b.held.toMinor()).toBe(model[i]);
        }
        expect(await ledgerViolations(ds)).toEqual([]);
      }),
      { numRuns: 40, seed },
    );
    expect(runs).toBe(40);
  });
});
