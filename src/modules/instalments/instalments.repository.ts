import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '@infra/database/sql';
import { INSTALMENT_EVENTS, InstalmentEvent, InstalmentState } from './instalment-state-machine';

export interface PlanRow {
  contract_id: string;
  institution_id: string;
  escrow_account_id: string;
  currency: string;
  pre_notification_days: number;
  retries: number;
  retry_delay_days: number;
  state: 'active' | 'stopped';
  stop_reason: string | null;
}

export interface MandateRow {
  contract_id: string;
  bank: string;
  account_number: string;
  account_name: string;
  state: 'active' | 'revoked';
}

export interface InstalmentRow {
  id: string;
  contract_id: string;
  seq: number;
  covers_from: string;
  covers_to: string;
  lessons: number;
  amount: string;
  collection_date: string;
  state: InstalmentState;
  attempts: number;
  next_attempt_date: string | null;
  notified_at: Date | null;
  movement_id: string | null;
  failure_code: string | null;
}

const INSTALMENT = `id, contract_id, seq, to_char(covers_from, 'YYYY-MM-DD') AS covers_from, to_char(covers_to, 'YYYY-MM-DD') AS covers_to, lessons,
  amount::text, to_char(collection_date, 'YYYY-MM-DD') AS collection_date, state, attempts, to_char(next_attempt_date, 'YYYY-MM-DD') AS next_attempt_date,
  notified_at, movement_id, failure_code`;

/** All SQL of the instalments module (owner of `instalment_plans`, `instalments`, `mandates`). */
@Injectable()
export class InstalmentsRepository {
  async insertPlan(
    m: EntityManager,
    p: Omit<PlanRow, 'state' | 'stop_reason'>,
    mandate: { bank: string; accountNumber: string; accountName: string },
    items: { seq: number; coversFrom: string; coversTo: string; lessons: number; amount: string; collectionDate: string }[],
  ): Promise<void> {
    await m.query(
      `INSERT INTO instalment_plans (contract_id, institution_id, escrow_account_id, currency, pre_notification_days, retries, retry_delay_days) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [p.contract_id, p.institution_id, p.escrow_account_id, p.currency, p.pre_notification_days, p.retries, p.retry_delay_days],
    );
    await m.query(`INSERT INTO mandates (contract_id, bank, account_number, account_name) VALUES ($1, $2, $3, $4)`, [p.contract_id, mandate.bank, mandate.accountNumber, mandate.accountName]);
    await m.query(
      `INSERT INTO instalments (contract_id, seq, covers_from, covers_to, lessons, amount, collection_date)
       SELECT $1, x.seq, x.f, x.t, x.l, x.a, x.c FROM unnest($2::int[], $3::date[], $4::date[], $5::int[], $6::numeric[], $7::date[]) AS x(seq, f, t, l, a, c)`,
      [p.contract_id, items.map((i) => i.seq), items.map((i) => i.coversFrom), items.map((i) => i.coversTo), items.map((i) => i.lessons), items.map((i) => i.amount), items.map((i) => i.collectionDate)],
    );
  }

  async plan(m: EntityManager, contractId: string, lock = false): Promise<PlanRow | null> {
    const rows: PlanRow[] = await m.query(
      `SELECT contract_id, institution_id, escrow_account_id, currency, pre_notification_days, retries, retry_delay_days, state, stop_reason
         FROM instalment_plans WHERE contract_id = $1${lock ? ' FOR UPDATE' : ''}`,
      [contractId],
    );
    return rows[0] ?? null;
  }

  async mandate(m: EntityManager, contractId: string): Promise<MandateRow | null> {
    const rows: MandateRow[] = await m.query(`SELECT contract_id, bank, account_number, account_name, state FROM mandates WHERE contract_id = $1`, [contractId]);
    return rows[0] ?? null;
  }

  instalments(m: EntityManager, contractId: string, lock = false): Promise<InstalmentRow[]> {
    return m.query(`SELECT ${INSTALMENT} FROM instalments WHERE contract_id = $1 ORDER BY seq${lock ? ' FOR UPDATE' : ''}`, [contractId]);
  }

  async instalment(m: EntityManager, id: string): Promise<InstalmentRow | null> {
    const rows: InstalmentRow[] = await m.query(`SELECT ${INSTALMENT} FROM instalments WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0] ?? null;
  }

  /** Contracts of active plans with an instalment to tell the payer about or to debit by `today` (with the longest notice any plan gives). */
  async contractsWithWork(m: EntityManager, today: string, limit: number, after: string | null): Promise<string[]> {
    const rows: { contract_id: string }[] = await m.query(
      `SELECT DISTINCT i.contract_id FROM instalments i JOIN instalment_plans p ON p.contract_id = i.contract_id AND p.state = 'active'
        WHERE ((i.state IN ('scheduled', 'notified') AND i.collection_date - p.pre_notification_days <= $1::date)
            OR (i.state = 'retrying' AND i.next_attempt_date <= $1::date))
          AND ($2::uuid IS NULL OR i.contract_id > $2)
        ORDER BY i.contract_id LIMIT $3`,
      [today, after, limit],
    );
    return rows.map((r) => r.contract_id);
  }

  /** Through the state machine: the UPDATE applies only from the event's states; false when the instalment was elsewhere. */
  async apply(m: EntityManager, id: string, event: InstalmentEvent, extra: { movementId?: string; nextAttemptDate?: string; failureCode?: string } = {}): Promise<boolean> {
    const e = INSTALMENT_EVENTS[event];
    const rows: unknown = await m.query(
      `UPDATE instalments SET state = $3, updated_at = now(),
              movement_id = COALESCE($4::uuid, movement_id),
              attempts = attempts + CASE WHEN $5 THEN 1 ELSE 0 END,
              notified_at = CASE WHEN $3 = 'notified' THEN now() ELSE notified_at END,
              next_attempt_date = CASE WHEN $3 = 'retrying' THEN $6::date ELSE NULL END,
              failure_code = COALESCE($7, failure_code)
        WHERE id = $1 AND state = ANY($2::text[]) RETURNING id`,
      [id, e.from, e.to, extra.movementId ?? null, event === 'instruct', extra.nextAttemptDate ?? null, extra.failureCode ?? null],
    );
    return rowsOf(rows).length > 0;
  }

  async stop(m: EntityManager, contractId: string, reason: string): Promise<boolean> {
    const rows: unknown = await m.query(
      `UPDATE instalment_plans SET state = 'stopped', stopped_at = now(), stop_reason = $2 WHERE contract_id = $1 AND state = 'active' RETURNING contract_id`,
      [contractId, reason],
    );
    await m.query(`UPDATE mandates SET state = 'revoked', revoked_at = now() WHERE contract_id = $1 AND state = 'active'`, [contractId]);
    return rowsOf(rows).length > 0;
  }
}
