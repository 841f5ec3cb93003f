import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '../../infra/database/sql';

export interface LessonRow {
  id: string;
  session_id: string;
  contract_id: string;
  institution_id: string;
  amount: string;
  state: 'delivered' | 'confirmed' | 'disputed' | 'withdrawn';
  release_mode: 'per_lesson' | 'weekly' | 'tranches' | 'after_completion';
  delivered_on: string;
  confirm_by: string;
  confirmation: string | null;
  dispute_reason: string | null;
  released_at: Date | null;
  release_txn_id: string | null;
}

export interface SessionRow {
  id: string;
  institution_id: string;
  course_id: string;
  session_key: string;
  starts_at: Date;
  ends_at: Date;
  teacher: string;
  location: string;
}

export interface ContractForLesson {
  id: string;
  institution_id: string;
  course_id: string;
  escrow_account_id: string;
  state: string;
  lessons: number;
  lessons_consumed: number;
  total_price: string;
  amount_consumed: string;
  currency: string;
  start_date: string;
  deemed_days: number;
  cadence: string;
}

const LESSON = `id, session_id, contract_id, institution_id, amount::text, state, release_mode, to_char(delivered_on, 'YYYY-MM-DD') AS delivered_on,
  to_char(confirm_by, 'YYYY-MM-DD') AS confirm_by, confirmation, dispute_reason, released_at, release_txn_id::text`;

@Injectable()
export class LessonsRepository {
  /** The session by its natural key, created if new; returns null when the key names a different session. */
  async upsertSession(m: EntityManager, s: Omit<SessionRow, 'id'> & { created_by: string }): Promise<{ session: SessionRow; created: boolean }> {
    const inserted: SessionRow[] = await m.query(
      `INSERT INTO lesson_sessions (institution_id, course_id, session_key, starts_at, ends_at, teacher, location, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (institution_id, session_key) DO NOTHING RETURNING *`,
      [s.institution_id, s.course_id, s.session_key, s.starts_at, s.ends_at, s.teacher, s.location, s.created_by],
    );
    if (inserted[0]) return { session: inserted[0], created: true };
    const rows: SessionRow[] = await m.query(`SELECT * FROM lesson_sessions WHERE institution_id = $1 AND session_key = $2`, [s.institution_id, s.session_key]);
    return { session: rows[0], created: false };
  }

  /** Locks the contracts in id order (the lock order of every lesson write), with their policy terms. */
  lockContracts(m: EntityManager, ids: string[]): Promise<ContractForLesson[]> {
    return m.query(
      `SELECT c.id, c.institution_id, c.course_id, c.escrow_account_id, c.state, c.lessons, c.lessons_consumed, c.total_price::text, c.amount_consumed::text,
              c.currency, to_char(c.start_date, 'YYYY-MM-DD') AS start_date,
              (p.rules->>'deemedConfirmationWorkingDays')::int AS deemed_days, p.rules->'releaseCadence'->>'kind' AS cadence
         FROM contracts c JOIN jurisdiction_policies p ON p.id = c.policy_id
        WHERE c.id = ANY($1::uuid[]) ORDER BY c.id FOR UPDATE OF c`,
      [ids],
    );
  }

  existingLessons(m: EntityManager, sessionId: string): Promise<LessonRow[]> {
    return m.query(`SELECT ${LESSON} FROM lessons WHERE session_id = $1`, [sessionId]);
  }

  /** Records many lessons and their contracts' consumption in one statement. */
  async insertLessons(
    m: EntityManager,
    sessionId: string,
    institutionId: string,
    deliveredOn: string,
    rows: { contract_id: string; amount: string; confirm_by: string; release_mode: string }[],
  ): Promise<LessonRow[]> {
    return m.query(
      `WITH x AS (SELECT * FROM unnest($4::uuid[], $5::numeric[], $6::date[], $7::text[]) AS x(contract_id, amount, confirm_by, release_mode)),
       consumed AS (
         UPDATE contracts c SET lessons_consumed = lessons_consumed + 1, amount_consumed = amount_consumed + x.amount, updated_at = now()
           FROM x WHERE c.id = x.contract_id RETURNING c.id)
       INSERT INTO lessons (session_id, contract_id, institution_id, amount, state, delivered_on, confirm_by, release_mode)
       SELECT $1, x.contract_id, $2, x.amount, 'delivered', $3, x.confirm_by, x.release_mode FROM x
       RETURNING ${LESSON}`,
      [sessionId, institutionId, deliveredOn, rows.map((r) => r.contract_id), rows.map((r) => r.amount), rows.map((r) => r.confirm_by), rows.map((r) => r.release_mode)],
    );
  }

  async consume(m: EntityManager, contractId: string, amount: string, delta: 1 | -1): Promise<void> {
    await m.query(`UPDATE contracts SET lessons_consumed = lessons_consumed + $2, amount_consumed = amount_consumed + ($2 * $3::numeric), updated_at = now() WHERE id = $1`, [contractId, delta, amount]);
  }

  async findForUpdate(m: EntityManager, id: string): Promise<LessonRow | null> {
    const rows: LessonRow[] = await m.query(`SELECT ${LESSON} FROM lessons WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0] ?? null;
  }

  async find(m: EntityManager, id: string): Promise<LessonRow | null> {
    const rows: LessonRow[] = await m.query(`SELECT ${LESSON} FROM lessons WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  async setState(m: EntityManager, id: string, patch: { state: LessonRow['state']; confirmation?: string; dispute_reason?: string; resolution?: string }): Promise<void> {
    await m.query(
      `UPDATE lessons SET state = $2,
              confirmation = coalesce($3, confirmation), confirmed_at = CASE WHEN $2 = 'confirmed' THEN now() ELSE confirmed_at END,
              dispute_reason = coalesce($4, dispute_reason), disputed_at = CASE WHEN $2 = 'disputed' THEN now() ELSE disputed_at END,
              resolution = coalesce($5, resolution)
        WHERE id = $1`,
      [id, patch.state, patch.confirmation ?? null, patch.dispute_reason ?? null, patch.resolution ?? null],
    );
  }

  async markReleased(m: EntityManager, id: string, txnId: string): Promise<void> {
    await m.query(`UPDATE lessons SET released_at = now(), release_txn_id = $2 WHERE id = $1`, [id, txnId]);
  }

  /** Lessons past their confirmation window, locked and claimed (deemed) in one statement. */
  async deemDue(m: EntityManager, today: string, limit: number): Promise<LessonRow[]> {
    const res: unknown = await m.query(
      `UPDATE lessons SET state = 'confirmed', confirmation = 'deemed', confirmed_at = now()
        WHERE id IN (SELECT id FROM lessons WHERE state = 'delivered' AND confirm_by < $1::date ORDER BY confirm_by LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING ${LESSON}`,
      [today, limit],
    );
    return rowsOf<LessonRow>(res);
  }

  unreleased(m: EntityManager, institutionId: string, limit: number): Promise<{ id: string }[]> {
    return m.query(
      `SELECT id FROM lessons WHERE institution_id = $1 AND state = 'confirmed' AND released_at IS NULL AND release_mode IN ('per_lesson', 'weekly') AND amount > 0
        ORDER BY created_at LIMIT $2`,
      [institutionId, limit],
    );
  }

  lessonsOfContract(m: EntityManager, contractId: string): Promise<LessonRow[]> {
    return m.query(`SELECT ${LESSON} FROM lessons WHERE contract_id = $1 ORDER BY created_at`, [contractId]);
  }
}
