import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '@infra/database/sql';
import { PERIOD_EVENTS, PeriodEvent, PeriodState } from './deduction-period-state-machine';

export interface ScheduleRow {
  contract_id: string;
  institution_id: string;
  escrow_account_id: string;
  frequency: 'monthly' | 'weekly';
  total: string;
  currency: string;
}

export interface PeriodRow {
  id: string;
  contract_id: string;
  seq: number;
  period_from: string;
  period_to: string;
  due_date: string;
  amount: string;
  state: PeriodState;
  movement_id: string | null;
  objection_reason: string | null;
  decision: string | null;
  decision_reason: string | null;
}

export interface PauseRow {
  id: string;
  contract_id: string;
  pause_from: string;
  days: number;
  reason: string;
  state: 'proposed' | 'agreed';
}

const PERIOD = `id, contract_id, seq, to_char(period_from, 'YYYY-MM-DD') AS period_from, to_char(period_to, 'YYYY-MM-DD') AS period_to,
  to_char(due_date, 'YYYY-MM-DD') AS due_date, amount::text, state, movement_id, objection_reason, decision, decision_reason`;

/** All SQL of the deductions module (owner of `deduction_schedules`, `deduction_periods`, `deduction_pauses`). */
@Injectable()
export class DeductionsRepository {
  async insertSchedule(
    m: EntityManager,
    s: ScheduleRow,
    periods: { seq: number; periodFrom: string; periodTo: string; dueDate: string; amount: string }[],
  ): Promise<void> {
    await m.query(
      `INSERT INTO deduction_schedules (contract_id, institution_id, escrow_account_id, frequency, total, currency) VALUES ($1, $2, $3, $4, $5, $6)`,
      [s.contract_id, s.institution_id, s.escrow_account_id, s.frequency, s.total, s.currency],
    );
    await m.query(
      `INSERT INTO deduction_periods (contract_id, seq, period_from, period_to, due_date, amount)
       SELECT $1, x.seq, x.f, x.t, x.d, x.a FROM unnest($2::int[], $3::date[], $4::date[], $5::date[], $6::numeric[]) AS x(seq, f, t, d, a)`,
      [s.contract_id, periods.map((p) => p.seq), periods.map((p) => p.periodFrom), periods.map((p) => p.periodTo), periods.map((p) => p.dueDate), periods.map((p) => p.amount)],
    );
  }

  async schedule(m: EntityManager, contractId: string): Promise<ScheduleRow | null> {
    const rows: ScheduleRow[] = await m.query(
      `SELECT contract_id, institution_id, escrow_account_id, frequency, total::text, currency FROM deduction_schedules WHERE contract_id = $1`,
      [contractId],
    );
    return rows[0] ?? null;
  }

  periods(m: EntityManager, contractId: string, lock = false): Promise<PeriodRow[]> {
    return m.query(`SELECT ${PERIOD} FROM deduction_periods WHERE contract_id = $1 ORDER BY seq${lock ? ' FOR UPDATE' : ''}`, [contractId]);
  }

  async period(m: EntityManager, id: string): Promise<PeriodRow | null> {
    const rows: PeriodRow[] = await m.query(`SELECT ${PERIOD} FROM deduction_periods WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0] ?? null;
  }

  async periodBySeq(m: EntityManager, contractId: string, seq: number): Promise<PeriodRow | null> {
    const rows: PeriodRow[] = await m.query(`SELECT ${PERIOD} FROM deduction_periods WHERE contract_id = $1 AND seq = $2 FOR UPDATE`, [contractId, seq]);
    return rows[0] ?? null;
  }

  /** Contracts with a scheduled period due by `today` (catching up every missed day), after `after` in id order. */
  async contractsDue(m: EntityManager, today: string, limit: number, after: string | null): Promise<string[]> {
    const rows: { contract_id: string }[] = await m.query(
      `SELECT DISTINCT contract_id FROM deduction_periods
        WHERE state = 'scheduled' AND due_date <= $1 AND ($2::uuid IS NULL OR contract_id > $2)
        ORDER BY contract_id LIMIT $3`,
      [today, after, limit],
    );
    return rows.map((r) => r.contract_id);
  }

  /** Through the state machine: the UPDATE applies only from the event's states; false when the period was elsewhere. */
  async apply(m: EntityManager, id: string, event: PeriodEvent, extra: { movementId?: string; objection?: string; decision?: string; reason?: string; by?: string } = {}): Promise<boolean> {
    const e = PERIOD_EVENTS[event];
    const rows: unknown = await m.query(
      `UPDATE deduction_periods SET state = $3, updated_at = now(),
              movement_id = COALESCE($4::uuid, movement_id),
              objection_reason = CASE WHEN $3 = 'objected' THEN $5 ELSE objection_reason END,
              objected_at = CASE WHEN $3 = 'objected' THEN now() ELSE objected_at END,
              decision = COALESCE($6, decision), decision_reason = COALESCE($7, decision_reason),
              decided_by = COALESCE($8, decided_by), decided_at = CASE WHEN $6::text IS NULL THEN decided_at ELSE now() END,
              cancel_reason = CASE WHEN $3 = 'cancelled' THEN $7 ELSE cancel_reason END
        WHERE id = $1 AND state = ANY($2::text[]) RETURNING id`,
      [id, e.from, e.to, extra.movementId ?? null, extra.objection ?? null, extra.decision ?? null, extra.reason ?? null, extra.by ?? null],
    );
    return rowsOf(rows).length > 0;
  }

  /** An agreed pause: every period not yet taken that ends on or after its first day moves by its days (a period it starts in ends later). */
  async shift(m: EntityManager, contractId: string, from: string, days: number): Promise<number> {
    const rows: unknown = await m.query(
      `UPDATE deduction_periods
          SET period_from = CASE WHEN period_from >= $2::date THEN period_from + $3::int ELSE period_from END,
              period_to = period_to + $3::int, due_date = due_date + $3::int, updated_at = now()
        WHERE contract_id = $1 AND state IN ('scheduled', 'objected') AND period_to >= $2::date RETURNING id`,
      [contractId, from, days],
    );
    return rowsOf(rows).length;
  }

  /** The proposed pause; null when one already waits for the payer (the partial unique index decides, races included). */
  async insertPause(m: EntityManager, p: { contractId: string; from: string; days: number; reason: string; by: string }): Promise<PauseRow | null> {
    const rows: unknown = await m.query(
      `INSERT INTO deduction_pauses (contract_id, pause_from, days, reason, state, proposed_by) VALUES ($1, $2, $3, $4, 'proposed', $5)
       ON CONFLICT (contract_id) WHERE state = 'proposed' DO NOTHING
       RETURNING id, contract_id, to_char(pause_from, 'YYYY-MM-DD') AS pause_from, days, reason, state`,
      [p.contractId, p.from, p.days, p.reason, p.by],
    );
    return rowsOf<PauseRow>(rows)[0] ?? null;
  }

  async proposedPause(m: EntityManager, contractId: string): Promise<PauseRow | null> {
    const rows: PauseRow[] = await m.query(
      `SELECT id, contract_id, to_char(pause_from, 'YYYY-MM-DD') AS pause_from, days, reason, state FROM deduction_pauses
        WHERE contract_id = $1 AND state = 'proposed' FOR UPDATE`,
      [contractId],
    );
    return rows[0] ?? null;
  }

  async agreePause(m: EntityManager, id: string): Promise<boolean> {
    const rows: unknown = await m.query(`UPDATE deduction_pauses SET state = 'agreed', agreed_at = now() WHERE id = $1 AND state = 'proposed' RETURNING id`, [id]);
    return rowsOf(rows).length > 0;
  }
}
