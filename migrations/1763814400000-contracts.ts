import { MigrationInterface, QueryRunner } from 'typeorm';

const NATIONAL = {
  maxPrepaidLessons: 60,
  maxPrepaidMonths: 3,
  earliestCollectionMonthsBeforeStart: 1,
  maxSinglePaymentNonSubject: '5000.00',
  priceCaps: [],
  priceMarkupPercent: 10,
  coolingOffDays: 7,
  deemedConfirmationWorkingDays: 15,
  refundResponseWorkingDays: 5,
  refundDeadlineBeforeStartDays: 5,
  refundDeadlineAfterStartDays: 15,
  releaseCadence: { kind: 'per_lesson' },
  riskReserveMonths: 3,
  alerts: { balanceFloor: '300000.00', newInstitutionBalanceFloor: '100000.00', dailyOutflow: '1000000.00', weeklyOutflow: '2000000.00', singleMovementPercent: 10 },
};

/** Example policies from the rules table in the domain guide (seeded; regulators publish newer versions). */
const SEEDS: { code: string; note: string; rules: Record<string, unknown> }[] = [
  { code: '000000', note: 'National default (MOE and five departments, 2021; 13-department opinion, Dec 2022)', rules: NATIONAL },
  {
    code: '110000',
    note: 'Beijing: prepay at most 3 months or 60 hours; collection no earlier than 1 month before start; refunds 5 / 15 days',
    rules: { ...NATIONAL, priceCaps: [{ category: 'subject', classSizeBand: 'small', maxPricePerHour: '80.00' }, { category: 'subject', classSizeBand: 'medium', maxPricePerHour: '60.00' }, { category: 'subject', classSizeBand: 'large', maxPricePerHour: '50.00' }] },
  },
  { code: '310000', note: 'Shanghai: prepay at most 3 months or 60 hours; per-lesson release', rules: { ...NATIONAL } },
  { code: '350200', note: 'Xiamen: weekly settlement (一周一结), paid within 7 days', rules: { ...NATIONAL, releaseCadence: { kind: 'weekly', paymentDelayDays: 7 } } },
  {
    code: '120116',
    note: 'Tianjin Binhai: releases in tranches of 30 % / 30 % / 40 % at one third, two thirds and the end',
    rules: { ...NATIONAL, releaseCadence: { kind: 'tranches', tranches: [{ atFraction: '1/3', percent: 30 }, { atFraction: '2/3', percent: 30 }, { atFraction: '1', percent: 40 }] } },
  },
  { code: '340200', note: 'Wuhu: release 15 working days after the last lesson', rules: { ...NATIONAL, releaseCadence: { kind: 'after_completion', workingDays: 15 } } },
];

/** Jurisdiction policies, courses, contracts, custody banks and the money coming into escrow. */
export class Contracts1763814400000 implements MigrationInterface {
  name = 'Contracts1763814400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE jurisdiction_policies (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code            char(6) NOT NULL CHECK (code ~ '^[0-9]{6}$'),
        version         integer NOT NULL CHECK (version >= 1),
        effective_from  date NOT NULL,
        rules           jsonb NOT NULL,
        note            text,
        published_by    uuid,
        published_at    timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT jurisdiction_policies_version_key UNIQUE (code, version)
      )`);
    await q.query(`CREATE INDEX jurisdiction_policies_lookup_idx ON jurisdiction_policies (code, effective_from DESC, version DESC)`);
    await q.query(`CREATE TRIGGER jurisdiction_policies_append_only BEFORE UPDATE OR DELETE ON jurisdiction_policies FOR EACH ROW EXECUTE FUNCTION reject_history_change()`);
    for (const s of SEEDS) {
      await q.query(`INSERT INTO jurisdiction_policies (code, version, effective_from, rules, note) VALUES ($1, 1, '2021-07-24', $2, $3)`, [s.code, JSON.stringify(s.rules), s.note]);
    }

    await q.query(`
      CREATE TABLE courses (
        id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        institution_id         uuid NOT NULL REFERENCES institutions(id),
        name                   text NOT NULL,
        category               text NOT NULL CHECK (category IN ('subject', 'non_subject')),
        kind                   text NOT NULL CHECK (kind IN ('lesson_pack', 'time_based')),
        lesson_minutes         integer NOT NULL CHECK (lesson_minutes BETWEEN 10 AND 600),
        class_size_band        text NOT NULL CHECK (class_size_band IN ('small', 'medium', 'large')),
        list_price_per_lesson  numeric(18,2) NOT NULL CHECK (list_price_per_lesson > 0),
        created_at             timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX courses_institution_idx ON courses (institution_id)`);

    await q.query(`
      CREATE TABLE contracts (
        id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        reference               text NOT NULL CONSTRAINT contracts_reference_key UNIQUE,
        institution_id          uuid NOT NULL REFERENCES institutions(id),
        course_id               uuid NOT NULL REFERENCES courses(id),
        escrow_account_id       uuid NOT NULL REFERENCES escrow_accounts(id),
        payer_name              text NOT NULL,
        payer_phone             text NOT NULL,
        payer_id_hash           text,
        student_name            text NOT NULL,
        lessons                 integer NOT NULL CHECK (lessons >= 1),
        start_date              date NOT NULL,
        end_date                date NOT NULL CHECK (end_date >= start_date),
        total_price             numeric(18,2) NOT NULL CHECK (total_price > 0),
        amount_paid             numeric(18,2) NOT NULL DEFAULT 0 CHECK (amount_paid >= 0 AND amount_paid <= total_price),
        currency                char(3) NOT NULL,
        policy_id               uuid NOT NULL REFERENCES jurisdiction_policies(id),
        model_contract_version  text NOT NULL,
        state                   text NOT NULL CHECK (state IN ('awaiting_payment', 'active', 'completed', 'terminated', 'refunded')),
        payer_token_hash        bytea NOT NULL CONSTRAINT contracts_payer_token_key UNIQUE,
        payer_token_revoked_at  timestamptz,
        created_by              uuid,
        created_at              timestamptz NOT NULL DEFAULT now(),
        activated_at            timestamptz,
        updated_at              timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX contracts_institution_idx ON contracts (institution_id, created_at)`);
    await q.query(`CREATE INDEX contracts_escrow_ref_idx ON contracts (escrow_account_id, reference)`);

    await q.query(`
      CREATE TABLE banks (
        code         text PRIMARY KEY,
        name         text NOT NULL,
        webhook_url  text,
        secrets      text[] NOT NULL CHECK (cardinality(secrets) >= 1),
        created_at   timestamptz NOT NULL DEFAULT now(),
        updated_at   timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE bank_credits (
        id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        bank_code            text NOT NULL,
        bank_transaction_id  text NOT NULL,
        escrow_account_id    uuid NOT NULL REFERENCES escrow_accounts(id),
        amount               numeric(18,2) NOT NULL,
        currency             char(3) NOT NULL,
        value_date           date NOT NULL,
        payer_reference      text,
        contract_id          uuid REFERENCES contracts(id),
        applied              numeric(18,2) NOT NULL DEFAULT 0,
        to_suspense          numeric(18,2) NOT NULL DEFAULT 0,
        outcome              text NOT NULL,
        response             jsonb NOT NULL,
        received_at          timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT bank_credits_txn_key UNIQUE (bank_code, bank_transaction_id),
        CHECK (applied + to_suspense = amount)
      )`);
    await q.query(`
      CREATE TABLE escrow_exceptions (
        id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        escrow_account_id  uuid NOT NULL REFERENCES escrow_accounts(id),
        institution_id     uuid NOT NULL REFERENCES institutions(id),
        type               text NOT NULL,
        amount             numeric(18,2),
        currency           char(3),
        details            jsonb NOT NULL DEFAULT '{}',
        created_at         timestamptz NOT NULL DEFAULT now(),
        resolved_at        timestamptz
      )`);
    await q.query(`CREATE INDEX escrow_exceptions_institution_idx ON escrow_exceptions (institution_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['escrow_exceptions', 'bank_credits', 'banks', 'contracts', 'courses', 'jurisdiction_policies']) await q.query(`DROP TABLE ${t}`);
  }
}
