import { randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '@common/clock';
import { addDaysTo } from '@common/dates';
import { Money } from '@common/money/money';
import { ACCOUNT_KINDS } from '@modules/ledger/chart-of-accounts';
import { LedgerDayCloseJob } from '@modules/ledger/jobs/ledger-day-close.job';
import { CheckpointPlan, LedgerDayCloseService } from '@modules/ledger/ledger-day-close.service';
import { LedgerService } from '@modules/ledger/ledger.service';
import { LedgerOwner } from '@modules/ledger/ledger.types';
import { eligibleInstitution } from '../support/register-fixtures';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * The audit's fast path (nearest hourly checkpoint or daily close, plus or minus the postings in
 * between) against a straightforward sum of every posting up to the moment, to the cent: now and
 * as of many moments, with postings right at a checkpoint's and a day's boundary, half a
 * millisecond before one, in the current hour, and older than the kept checkpoints (read from
 * the nearer daily close, before or after). And a posting committed late, in a transaction that
 * began before a checkpoint's end, is neither missed nor counted twice.
 */
const HOUR = 3_600_000;
const FIELDS = ['obligations', 'paidIn', 'released', 'refunded', 'transferred', 'bankCash', 'suspense'] as const;

/** Per institution, every audited figure summed straight from the postings created at or before `at` (null: all). */
async function reference(t: TestApp, at: string | null): Promise<Map<string, Record<string, string>>> {
  const rows: Record<string, string>[] = await t.db.query(
    `WITH s AS (
       SELECT a.institution_id, a.type, sum(p.amount * CASE WHEN a.normal_side = 'debit' THEN 1 ELSE -1 END) AS v
         FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id
        WHERE a.institution_id IS NOT NULL AND ($1::timestamptz IS NULL OR p.created_at <= $1::timestamptz)
        GROUP BY 1, 2),
     f AS (
       SELECT institution_id,
              coalesce(sum(v) FILTER (WHERE type IN ('contract_held', 'closure_pool')), 0) AS obligations,
              coalesce(sum(v) FILTER (WHERE type IN ('institution_unsettled', 'institution_settled')), 0) AS released,
              coalesce(sum(v) FILTER (WHERE type IN ('refund_payable', 'payer_refunded')), 0) AS refunded,
              coalesce(sum(v) FILTER (WHERE type IN ('transfer_payable', 'payer_transferred')), 0) AS transferred,
              coalesce(sum(v) FILTER (WHERE type = 'bank_cash'), 0) AS "bankCash",
              coalesce(sum(v) FILTER (WHERE type = 'suspense'), 0) AS suspense
         FROM s GROUP BY 1)
     SELECT institution_id::text, obligations::numeric(18,2)::text AS obligations, (obligations + released + refunded + transferred)::numeric(18,2)::text AS "paidIn",
            released::numeric(18,2)::text AS released, refunded::numeric(18,2)::text AS refunded, transferred::numeric(18,2)::text AS transferred,
            "bankCash"::numeric(18,2)::text AS "bankCash", suspense::numeric(18,2)::text AS suspense
       FROM f`,
    [at],
  );
  return new Map(rows.map((r) => [r.institution_id, r]));
}

const ZERO = Object.fromEntries(FIELDS.map((f) => [f, '0.00']));

async function expectExact(t: TestApp, key: string, institutionIds: string[], at: string | null) {
  const res = await t.request('GET', `/audit/districts/310117${at ? `?asOf=${encodeURIComponent(at)}` : ''}`, { key });
  expect(res.status).toBe(200);
  const want = await reference(t, at);
  for (const id of institutionIds) {
    const row = res.body.institutions.find((i: { institutionId: string }) => i.institutionId === id);
    const got = Object.fromEntries([...FIELDS, 'coverage'].map((f) => [f, row[f]]));
    const sums = { ...ZERO, ...Object.fromEntries(FIELDS.map((f) => [f, want.get(id)?.[f] ?? '0.00'])) };
    // The coverage as decimal.js writes it (half up, 4 decimals), against the audit's SQL.
    const coverage = new Decimal(sums.obligations).isZero() ? null : new Decimal(sums.bankCash).div(sums.obligations).toDecimalPlaces(4, Decimal.ROUND_HALF_UP).toFixed(4);
    expect({ at, id, ...got }).toEqual({ at, id, ...sums, coverage });
  }
}

async function setup(t: TestApp) {
  const r1 = await t.createKey({ role: 'regulator', districts: ['310117'] });
  const r2 = await t.createKey({ role: 'regulator', districts: ['310117'] });
  const today = t.app.get(Clock).today();
  const books: { inst: { id: string }; owner: (contractId?: string) => LedgerOwner; contract: () => Promise<string> }[] = [];
  for (let i = 0; i < 2; i++) {
    const { inst, escrow } = await eligibleInstitution(t, [r1, r2]);
    const instKey = await t.createKey({ role: 'institution', institutionId: inst.id });
    const course = (await t.request('POST', `/institutions/${inst.id}/courses`, { key: instKey, body: { name: 'c', category: 'subject', kind: 'lesson_pack', lessonMinutes: 60, classSizeBand: 'large', listPricePerLesson: '100.00' } })).body;
    books.push({
      inst,
      owner: (contractId) => ({ escrowAccountId: escrow.id, institutionId: inst.id, currency: 'CNY', contractId: contractId ?? null }),
      contract: async () =>
        (await t.request('POST', `/institutions/${inst.id}/contracts`, { key: instKey, body: { courseId: course.id, payerName: 'p', payerPhone: '13600000000', studentName: 's', lessons: 10, startDate: addDaysTo(today, 7), endDate: addDaysTo(today, 60), totalPrice: '1000.00' } })).body.id,
    });
  }
  return { r1, today, books };
}

const cny = (s: string) => Money.parse(s, 'CNY');
/** Checkpoints every second, kept ten seconds, no waiting for transactions in flight. */
const EVERY_SECOND: CheckpointPlan = { everyMs: 1000, fineKeptMs: 10_000, coarseMs: 1000, keptMs: 10_000, graceMs: 0 };

describe('audit from checkpoints', () => {
  it('answers to the cent as a plain sum of the postings, now and as of any moment, at and around every boundary', async () => {
    const t = await startTestApp({ env: { PROCESS_ROLE: 'api' } });
    try {
      const { r1, today, books } = await setup(t);
      const ledger = t.app.get(LedgerService);
      const ds = t.app.get(DataSource);
      const h0 = Math.floor(Date.now() / HOUR) * HOUR;
      const iso = (ms: number) => new Date(ms).toISOString();
      const china = (daysAgo: number, time: string) => new Date(`${addDaysTo(today, -daysAgo)}T${time}+08:00`).getTime();
      const [a, b] = books;
      const [a1, a2, a3, b1] = [await a.contract(), await a.contract(), await a.contract(), await b.contract()];
      // label → when its postings are dated (an SQL timestamptz expression); null: left at now.
      const ts = (ms: number, minus = '') => `'${iso(ms)}'::timestamptz${minus}`;
      const plan: [string, string | null, (m: EntityManager, ref: string) => Promise<unknown>][] = [
        ['P1', ts(china(10, '11:00:00')), (m, ref) => ledger.fundContract(m, a.owner(a1), cny('1000.00'), ref)],
        ['P2', ts(china(10, '20:00:00')), (m, ref) => ledger.holdInSuspense(m, a.owner(), cny('12.34'), ref)],
        ['P9', ts(china(9, '00:00:00')), (m, ref) => ledger.holdInSuspense(m, b.owner(), cny('0.01'), ref)],
        ['P3', ts(china(9, '03:00:00')), (m, ref) => ledger.release(m, a.owner(a1), cny('100.00'), ref)],
        ['P4', ts(h0 - 50 * HOUR), (m, ref) => ledger.fundContract(m, a.owner(a2), cny('400.00'), ref)],
        ['P5', ts(h0 - 50 * HOUR, " - interval '500 microseconds'"), (m, ref) => ledger.holdInSuspense(m, b.owner(), cny('0.01'), ref)],
        ['P6', ts(h0 - 3 * HOUR + 50 * 60_000), (m, ref) => ledger.release(m, a.owner(a2), cny('40.00'), ref)],
        ['P10', ts(h0 - 3 * HOUR + 50 * 60_000), (m, ref) => ledger.fundContract(m, b.owner(b1), cny('400.00'), ref)],
        ['P7', ts(h0), (m, ref) => ledger.fundContract(m, a.owner(a3), cny('250.00'), ref)],
        ['P8', null, (m, ref) => ledger.release(m, a.owner(a3), cny('25.00'), ref)],
      ];
      for (const [label, , post] of plan) await ds.transaction((m) => post(m, `CKPT-${label}-${randomUUID()}`));
      await t.db.query(`SET session_replication_role = replica`);
      for (const [label, at] of plan) {
        if (!at) continue;
        await t.db.query(`UPDATE ledger_postings p SET created_at = ${at} FROM ledger_transactions x WHERE x.id = p.transaction_id AND x.external_ref LIKE $1`, [`%CKPT-${label}-%`]);
      }
      await t.db.query(`RESET session_replication_role`);

      const run = await t.app.get(LedgerDayCloseJob).handle({});
      expect(run.closed[0]).toBe(addDaysTo(today, -10));
      const taken = run.checkpoints.taken.map((d) => d.getTime());
      // Every 5 minutes for the last two hours, hourly before, for a week.
      expect(taken).toContain(h0);
      expect(taken).toContain(Math.floor(Date.now() / 300_000) * 300_000);
      expect(Math.min(...taken)).toBe(h0 - 168 * HOUR);
      expect(taken.filter((x) => x < h0 - 3 * HOUR).every((x) => x % HOUR === 0)).toBe(true);
      // A checkpoint's own balances are the sum of every posting created before its end.
      for (const at of [h0, h0 - 2 * HOUR, h0 - 50 * HOUR]) {
        const rows: { institution_id: string; account_type: string; balance: string }[] = await t.db.query(
          `SELECT c.institution_id::text, k.account_type, k.balance::text
             FROM ledger_checkpoint_balances c, jsonb_each_text(to_jsonb(c) - 'closes_at' - 'institution_id' - 'currency') AS k(account_type, balance)
            WHERE c.closes_at = $1 AND k.balance::numeric <> 0 ORDER BY 1, 2`,
          [iso(at)],
        );
        const want: typeof rows = await t.db.query(
          `SELECT a.institution_id::text, a.type AS account_type, sum(p.amount * CASE WHEN a.normal_side = 'debit' THEN 1 ELSE -1 END)::text AS balance
             FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id
            WHERE p.created_at < $1 AND a.institution_id IS NOT NULL GROUP BY 1, 2 HAVING sum(p.amount) <> 0 ORDER BY 1, 2`,
          [iso(at)],
        );
        expect({ at: iso(at), rows }).toEqual({ at: iso(at), rows: want });
      }
      // One column per kind of the chart of accounts (a kind without one would be left out).
      const columns: { column_name: string }[] = await t.db.query(
        `SELECT column_name FROM information_schema.columns WHERE table_name = 'ledger_checkpoint_balances' AND column_name NOT IN ('closes_at', 'institution_id', 'currency')`,
      );
      expect(columns.map((c) => c.column_name).sort()).toEqual([...ACCOUNT_KINDS].sort());

      const ids = books.map((x) => x.inst.id);
      await expectExact(t, r1, ids, null);
      // 400.02 / 400.00 = 1.00005: half up, not to even.
      expect((await t.request('GET', '/audit/districts/310117', { key: r1 })).body.institutions.find((i: { institutionId: string }) => i.institutionId === b.inst.id).coverage).toBe('1.0001');
      const moments = [
        china(10, '10:59:59.999'), china(10, '11:00:00'), china(10, '11:30:00'), china(10, '19:00:00'), china(10, '20:00:00'), china(10, '23:59:59.999'),
        china(9, '00:00:00'), china(9, '02:59:59.999'), china(9, '03:00:00'), china(9, '15:00:00'),
        h0 - 50 * HOUR - 1, h0 - 50 * HOUR, h0 - 50 * HOUR + 1, h0 - 50 * HOUR + 10 * 60_000, h0 - 50 * HOUR - 10 * 60_000,
        h0 - 3 * HOUR + 10 * 60_000, h0 - 3 * HOUR + 40 * 60_000, h0 - 3 * HOUR + 50 * 60_000, h0 - 2 * HOUR,
        h0 - 1, h0, h0 + 1, Date.now(),
      ];
      for (const at of moments) await expectExact(t, r1, ids, iso(at));
      // Checkpoints never change; old ones are deleted whole by the job only.
      await expect(t.db.query(`UPDATE ledger_checkpoint_balances SET bank_cash = 0`)).rejects.toThrow(/append-only/);
    } finally {
      await t.close();
    }
  });

  it('never misses nor double-counts a posting committed late by a transaction that began before a checkpoint', async () => {
    const t = await startTestApp({ env: { PROCESS_ROLE: 'api' } });
    try {
      const { r1, books } = await setup(t);
      const [a, b] = books;
      const ids = books.map((x) => x.inst.id);
      const ledger = t.app.get(LedgerService);
      const days = t.app.get(LedgerDayCloseService);
      const ds = t.app.get(DataSource);
      const [c1, c2] = [await a.contract(), await a.contract()];
      await ds.transaction((m) => ledger.fundContract(m, a.owner(c1), cny('100.00'), randomUUID()));
      // Checkpoints every second (kept ten) so that one falls while the late transaction is open.
      await days.takeCheckpoints(new Date(), EVERY_SECOND);
      let startedAt = 0;
      let during: Awaited<ReturnType<LedgerDayCloseService['takeCheckpoints']>> | null = null;
      await ds.transaction(async (m) => {
        const [{ now }]: { now: Date }[] = await m.query(`SELECT now()`);
        startedAt = now.getTime();
        await ledger.fundContract(m, a.owner(c2), cny('500.00'), randomUUID());
        while (Date.now() < Math.floor(startedAt / 1000) * 1000 + 2200) await new Promise((r) => setTimeout(r, 100));
        // A posting by another transaction meanwhile (committed, after the boundary).
        await ds.transaction((o) => ledger.holdInSuspense(o, b.owner(), cny('7.77'), randomUUID()));
        during = await days.takeCheckpoints(new Date(), EVERY_SECOND);
        await expectExact(t, r1, ids, null);
      });
      const boundary = Math.floor(startedAt / 1000) * 1000 + 1000;
      const after = await days.takeCheckpoints(new Date(), EVERY_SECOND);
      // Exact now: the late posting is in the checkpoints taken after it committed, once.
      await expectExact(t, r1, ids, null);
      // The second that ended after the open transaction began waited for it.
      expect(during!.waitingFor?.getTime()).toBe(boundary);
      expect(during!.taken.every((d) => d.getTime() < boundary)).toBe(true);
      expect(after.taken.map((d) => d.getTime())).toContain(boundary);
      const [cp]: { balance: string }[] = await t.db.query(
        `SELECT contract_held::text AS balance FROM ledger_checkpoint_balances WHERE closes_at = $1 AND institution_id = $2`,
        [new Date(boundary).toISOString(), a.inst.id],
      );
      expect(cp.balance).toBe('600.00');
      await expectExact(t, r1, ids, null);
      const res = await t.request('GET', '/audit/districts/310117', { key: r1 });
      expect(res.body.institutions.find((i: { institutionId: string }) => i.institutionId === a.inst.id)).toMatchObject({ obligations: '600.00', bankCash: '600.00' });
      expect(res.body.institutions.find((i: { institutionId: string }) => i.institutionId === b.inst.id)).toMatchObject({ suspense: '7.77', bankCash: '7.77' });
      for (const at of [startedAt - 1, startedAt, boundary, Date.now()]) await expectExact(t, r1, ids, new Date(at).toISOString());
      // Only the last ten seconds' are kept.
      const [{ n }]: { n: number }[] = await t.db.query(`SELECT count(*)::int AS n FROM ledger_checkpoints`);
      expect(n).toBeLessThanOrEqual(11);
    } finally {
      await t.close();
    }
  });
});
