import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { rowsOf } from '@infra/database/sql';
import type { WeeklyLessons } from './weekly-netting';

export interface LessonRow {
  id: string;
  session_id: string;
  contract_id: string;
  institution_id: string;
  amount: string;
  state: 'delivered' | 'confirmed' | 'disputed' | 'withdrawn';
  release_mode: 'per_lesson' | 'weekly' | 'tranches' | 'after_completion' | 'periodic';
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


const LESSON = `id, session_id, contract_id, institution_id, amount::text, state, release_mode, to_char(delivered_on, 'YYYY-MM-DD') AS delivered_on,
  to_char(confirm_by, 'YYYY-MM-DD') AS confirm_by, confirmation, dispute_reason, released_at, release_txn_id::text`;

/** A session's natural key, as one string (maps of a group of attendances). */
export const sessionKeyOf = (institutionId: string, sessionKey: string) => `${institutionId}\n${sessionKey}`;
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The only writer of `lessons`, `lesson_sessions` and `contract_releases`. */
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

  /**
   * For each (institution, session key, contract): the session if it exists, and the lesson that
   * contract already has in it (null if none). One statement for a group of single attendances.
   */
  async sessionsWithLessons(m: EntityManager, keys: { institution_id: string; session_key: string; contract_id: string }[]): Promise<Map<string, { session: SessionRow; lesson: LessonRow | null }>> {
    const rows: (SessionRow & { lesson: (Omit<LessonRow, 'released_at'> & { released_at: string | null }) | null })[] = await m.query(
      `SELECT s.id, s.institution_id, s.course_id, s.session_key, s.starts_at, s.ends_at, s.teacher, s.location,
              (SELECT to_jsonb(z) FROM (SELECT ${LESSON} FROM lessons WHERE session_id = s.id AND contract_id = x.c) z) AS lesson
         FROM unnest($1::uuid[], $2::text[], $3::uuid[]) AS x(i, k, c)
         JOIN lesson_sessions s ON s.institution_id = x.i AND s.session_key = x.k`,
      [keys.map((k) => k.institution_id), keys.map((k) => k.session_key), keys.map((k) => k.contract_id)],
    );
    return new Map(
      rows.map(({ lesson, ...session }) => [
        sessionKeyOf(session.institution_id, session.session_key),
        { session, lesson: lesson ? { ...lesson, released_at: lesson.released_at ? new Date(lesson.released_at) : null } : null },
      ]),
    );
  }

  /** Creates many sessions in one statement; returns those it created (a key another transaction holds is left out). */
  async insertSessions(m: EntityManager, ss: (Omit<SessionRow, 'id'> & { created_by: string })[]): Promise<Map<string, SessionRow>> {
    // Key order: two such statements wait for each other's keys in the same order, never in a cycle.
    const sorted = [...ss].sort((a, b) => cmp(sessionKeyOf(a.institution_id, a.session_key), sessionKeyOf(b.institution_id, b.session_key)));
    const col = <K extends keyof (typeof ss)[number]>(k: K) => sorted.map((s) => s[k]);
    const rows: SessionRow[] = await m.query(
      `INSERT INTO lesson_sessions (institution_id, course_id, session_key, starts_at, ends_at, teacher, location, created_by)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::text[], $7::text[], $8::uuid[])
       ON CONFLICT (institution_id, session_key) DO NOTHING
       RETURNING id, institution_id, course_id, session_key, starts_at, ends_at, teacher, location`,
      [col('institution_id'), col('course_id'), col('session_key'), col('starts_at'), col('ends_at'), col('teacher'), col('location'), col('created_by')],
    );
    return new Map(rows.map((r) => [sessionKeyOf(r.institution_id, r.session_key), r]));
  }

  /** Records lessons of several sessions in one statement. */
  insertLessonsOfSessions(
    m: EntityManager,
    rows: { session_id: string; contract_id: string; institution_id: string; delivered_on: string; amount: string; confirm_by: string; release_mode: string }[],
  ): Promise<LessonRow[]> {
    const col = <K extends keyof (typeof rows)[number]>(k: K) => rows.map((r) => r[k]);
    return m.query(
      `INSERT INTO lessons (session_id, contract_id, institution_id, amount, state, delivered_on, confirm_by, release_mode)
       SELECT x.session_id, x.contract_id, x.institution_id, x.amount, 'delivered', x.delivered_on, x.confirm_by, x.release_mode
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::numeric[], $5::date[], $6::date[], $7::text[])
           AS x(session_id, contract_id, institution_id, amount, delivered_on, confirm_by, release_mode)
       RETURNING ${LESSON}`,
      [col('session_id'), col('contract_id'), col('institution_id'), col('amount'), col('delivered_on'), col('confirm_by'), col('release_mode')],
    );
  }

  existingLessons(m: EntityManager, sessionId: string): Promise<LessonRow[]> {
    return m.query(`SELECT ${LESSON} FROM lessons WHERE session_id = $1`, [sessionId]);
  }

  /** Records many lessons in one statement (their contracts' consumption is the contracts module's, in the same transaction). */
  async insertLessons(
    m: EntityManager,
    sessionId: string,
    institutionId: string,
    deliveredOn: string,
    rows: { contract_id: string; amount: string; confirm_by: string; release_mode: string }[],
  ): Promise<LessonRow[]> {
    return m.query(
      `INSERT INTO lessons (session_id, contract_id, institution_id, amount, state, delivered_on, confirm_by, release_mode)
       SELECT $1, x.contract_id, $2, x.amount, 'delivered', $3, x.confirm_by, x.release_mode
         FROM unnest($4::uuid[], $5::numeric[], $6::date[], $7::text[]) AS x(contract_id, amount, confirm_by, release_mode)
       RETURNING ${LESSON}`,
      [sessionId, institutionId, deliveredOn, rows.map((r) => r.contract_id), rows.map((r) => r.amount), rows.map((r) => r.confirm_by), rows.map((r) => r.release_mode)],
    );
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

  /** Every confirmed lesson of a contract not yet released is released by one transaction (after completion). */
  async markContractReleased(m: EntityManager, contractId: string, txnId: string): Promise<void> {
    await m.query(`UPDATE lessons SET released_at = now(), release_txn_id = $2 WHERE contract_id = $1 AND state = 'confirmed' AND released_at IS NULL`, [contractId, txnId]);
  }

  /** The movement that pays these (released) lessons out. */
  async setMovement(m: EntityManager, lessonIds: string[], movementId: string): Promise<void> {
    await m.query(`UPDATE lessons SET settlement_instruction_id = $2 WHERE id = ANY($1::uuid[])`, [lessonIds, movementId]);
  }

  async countReleased(m: EntityManager, contractId: string): Promise<number> {
    const [row]: { n: number }[] = await m.query(`SELECT count(*)::int AS n FROM lessons WHERE contract_id = $1 AND released_at IS NOT NULL`, [contractId]);
    return row.n;
  }

  async countConfirmed(m: EntityManager, contractId: string): Promise<number> {
    const [row]: { n: number }[] = await m.query(`SELECT count(*)::int AS n FROM lessons WHERE contract_id = $1 AND state = 'confirmed'`, [contractId]);
    return row.n;
  }

  // ---- contract_releases (tranches and after-completion releases) ----------------------------

  async releasedParts(m: EntityManager, contractId: string): Promise<{ part: number; kind: 'tranche' | 'completion' }[]> {
    return m.query(`SELECT part, kind FROM contract_releases WHERE contract_id = $1 ORDER BY part`, [contractId]);
  }

  async recordContractRelease(m: EntityManager, r: { contractId: string; part: number; kind: 'tranche' | 'completion'; amount: string; txnId: string | null }): Promise<void> {
    await m.query(`INSERT INTO contract_releases (contract_id, part, kind, amount, ledger_txn_id) VALUES ($1, $2, $3, $4, $5)`, [r.contractId, r.part, r.kind, r.amount, r.txnId]);
  }

  // ---- reads of the cadence jobs (lessons only: the contracts' terms come from ContractsService) ----

  /**
   * Weekly settlement: released weekly lessons of weeks before `before` without a movement yet,
   * locked (SKIP LOCKED, so two runs never net the same lesson), per contract and week.
   */
  weeklyDue(m: EntityManager, before: string): Promise<WeeklyLessons[]> {
    return m.query(
      `WITH due AS (
         SELECT id FROM lessons
          WHERE release_mode = 'weekly' AND released_at IS NOT NULL AND settlement_instruction_id IS NULL
            AND (released_at AT TIME ZONE 'Asia/Shanghai') < $1::date
          FOR UPDATE SKIP LOCKED)
       SELECT l.contract_id, l.institution_id, to_char(date_trunc('week', l.released_at AT TIME ZONE 'Asia/Shanghai'), 'YYYY-MM-DD') AS week,
              array_agg(l.id ORDER BY l.id) AS ids, sum(l.amount)::text AS total
         FROM due JOIN lessons l ON l.id = due.id
        GROUP BY 1, 2, 3`,
      [before],
    );
  }

  /**
   * Of these contracts, those whose lessons are all settled (confirmed or withdrawn) and not yet
   * released after completion, with the day of their last lesson.
   */
  async lastSettledLessons(m: EntityManager, contractIds: string[]): Promise<Map<string, string>> {
    if (contractIds.length === 0) return new Map();
    const rows: { contract_id: string; last: string }[] = await m.query(
      `SELECT l.contract_id, to_char(max(l.delivered_on), 'YYYY-MM-DD') AS last
         FROM lessons l
        WHERE l.contract_id = ANY($1::uuid[])
          AND NOT EXISTS (SELECT 1 FROM contract_releases r WHERE r.contract_id = l.contract_id AND r.kind = 'completion')
        GROUP BY l.contract_id
       HAVING bool_and(l.state IN ('confirmed', 'withdrawn'))`,
      [contractIds],
    );
    return new Map(rows.map((r) => [r.contract_id, r.last]));
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

  /** A contract's consumed lessons not released yet: how many are still unconfirmed, and what they all amount to. */
  async unreleasedConsumed(m: EntityManager, contractId: string): Promise<{ unconfirmed: number; amount: string }> {
    const [row]: { unconfirmed: number; amount: string }[] = await m.query(
      `SELECT count(*) FILTER (WHERE state <> 'confirmed')::int AS unconfirmed, COALESCE(sum(amount), 0)::text AS amount
         FROM lessons WHERE contract_id = $1 AND released_at IS NULL AND state IN ('delivered', 'confirmed', 'disputed')`,
      [contractId],
    );
    return row;
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
