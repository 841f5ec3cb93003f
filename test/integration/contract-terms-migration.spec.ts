import { revertMigrations, runMigrations } from '@infra/database/migrator';
import { ALL_MIGRATIONS } from '../../migrations';
import { ContractTerms1763854000000 } from '../../migrations/1763854000000-contract-terms';
import { createTestDatabase, TestDatabase } from '../support/test-db';

/** Contracts signed before terms were copied onto them get the terms of the policy version they name. */
describe('contract terms migration', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(() => db.drop());

  it('backfills each contract from its own policy version, and then keeps the terms fixed', async () => {
    await runMigrations(db.url);
    const after = ALL_MIGRATIONS.length - ALL_MIGRATIONS.indexOf(ContractTerms1763854000000);
    expect(await revertMigrations(db.url, after)).toBe(after);

    const [inst] = await db.query<{ id: string }>(
      `INSERT INTO institutions (name, uscc, district_code, category, profit_type, address, legal_representative, contact_name, contact_phone)
       VALUES ('厦门乐成', '91350200MA1FL0000X', '350203', 'subject', 'for_profit', '地址', '法人', '联系人', '13800000000') RETURNING id`,
    );
    const [escrow] = await db.query<{ id: string }>(
      `INSERT INTO escrow_accounts (institution_id, bank_code, account_number, account_name, mode, agreement_reference)
       VALUES ($1, 'ICBC-XM', '2001', '厦门乐成监管户', 'full_custody', 'AGR') RETURNING id`,
      [inst.id],
    );
    const [course] = await db.query<{ id: string }>(
      `INSERT INTO courses (institution_id, name, category, kind, lesson_minutes, class_size_band, list_price_per_lesson)
       VALUES ($1, '数学', 'subject', 'lesson_pack', 60, 'large', 100) RETURNING id`,
      [inst.id],
    );
    // Two policy versions of one code: each contract must get the terms of the version it names, not the latest.
    const policies = await db.query<{ id: string; code: string }>(
      `SELECT id, code FROM jurisdiction_policies WHERE code IN ('350200', '120116') ORDER BY code`,
    );
    const [v2] = await db.query<{ id: string }>(
      `INSERT INTO jurisdiction_policies (code, version, effective_from, rules)
       SELECT code, 2, '2026-01-01', jsonb_set(jsonb_set(jsonb_set(rules, '{deemedConfirmationWorkingDays}', '5'), '{releaseCadence,paymentDelayDays}', '3'), '{refundDeadlineAfterStartDays}', '20')
         FROM jurisdiction_policies WHERE code = '350200' AND version = 1 RETURNING id`,
    );
    const contract = async (ref: string, policyId: string) =>
      (
        await db.query<{ id: string }>(
          `INSERT INTO contracts (reference, institution_id, course_id, escrow_account_id, payer_name, payer_phone, student_name, lessons, start_date, end_date,
                                  total_price, currency, policy_id, model_contract_version, state, payer_token_hash)
           VALUES ($1, $2, $3, $4, '家长', '13600000000', '学生', 10, '2026-12-01', '2027-02-28', 1000, 'CNY', $5, 'GF-2021-2604', 'active', sha256(convert_to($1, 'UTF8')))
           RETURNING id`,
          [ref, inst.id, course.id, escrow.id, policyId],
        )
      )[0].id;
    const tranches = await contract('HT-OLD-1', policies[0].id);
    const weeklyV1 = await contract('HT-OLD-2', policies[1].id);
    const weeklyV2 = await contract('HT-OLD-3', v2.id);

    await runMigrations(db.url);
    const rows = await db.query<Record<string, unknown>>(
      `SELECT id, policy_code, policy_version, deemed_confirmation_days, release_cadence FROM contracts ORDER BY reference`,
    );
    expect(rows).toEqual([
      {
        id: tranches,
        policy_code: '120116',
        policy_version: 1,
        deemed_confirmation_days: 15,
        release_cadence: { kind: 'tranches', tranches: [{ atFraction: '1/3', percent: 30 }, { atFraction: '2/3', percent: 30 }, { atFraction: '1', percent: 40 }] },
      },
      { id: weeklyV1, policy_code: '350200', policy_version: 1, deemed_confirmation_days: 15, release_cadence: { kind: 'weekly', paymentDelayDays: 7 } },
      { id: weeklyV2, policy_code: '350200', policy_version: 2, deemed_confirmation_days: 5, release_cadence: { kind: 'weekly', paymentDelayDays: 3 } },
    ]);
    await expect(db.query(`UPDATE contracts SET deemed_confirmation_days = 20 WHERE id = $1`, [weeklyV1])).rejects.toThrow(/terms are fixed/);
    // The refund terms (migration 1763900000000) come from the same version, and are fixed too.
    expect(await db.query(`SELECT refund_response_working_days AS r, refund_days_before_start AS b, refund_days_after_start AS a FROM contracts ORDER BY reference`)).toEqual([
      { r: 5, b: 5, a: 15 },
      { r: 5, b: 5, a: 15 },
      { r: 5, b: 5, a: 20 },
    ]);
    await expect(db.query(`UPDATE contracts SET refund_days_before_start = 1 WHERE id = $1`, [weeklyV1])).rejects.toThrow(/terms are fixed/);
    // Consuming lessons (the hot path) does not touch the terms and is not refused.
    await db.query(`UPDATE contracts SET lessons_consumed = lessons_consumed + 1, amount_consumed = amount_consumed + 100 WHERE id = $1`, [weeklyV1]);
    await expect(db.query(`INSERT INTO contracts (reference, institution_id, course_id, escrow_account_id, payer_name, payer_phone, student_name, lessons, start_date, end_date,
                                  total_price, currency, policy_id, model_contract_version, state, payer_token_hash)
           SELECT 'HT-NEW', institution_id, course_id, escrow_account_id, payer_name, payer_phone, student_name, lessons, start_date, end_date,
                  total_price, currency, policy_id, model_contract_version, 'awaiting_payment', sha256('new') FROM contracts WHERE id = $1`, [weeklyV1])).rejects.toThrow(/null value/);
  });
});
