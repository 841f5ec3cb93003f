import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AlertCandidate, AlertSeverity, AlertState } from './alert-rules';

export interface AlertRow {
  id: string;
  type: string;
  severity: AlertSeverity;
  state: AlertState;
  institution_id: string;
  institution_name: string;
  district_code: string;
  figures: Record<string, string>;
  policy_code: string | null;
  policy_version: number | null;
  opened_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  acknowledge_reason: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  resolve_reason: string | null;
}

export interface AlertListFilter {
  districtPatterns: string[] | null;
  state?: string;
  severity?: string;
  type?: string;
  institutionId?: string;
  districtCode?: string;
  before?: { at: string; id: string };
  limit: number;
}

export interface PositionRow {
  institution_id: string;
  district_code: string;
  registered_on: string;
  currency: string;
  bank_cash: string;
  held: string;
}

const COLUMNS = `a.id, a.type, a.severity, a.state, a.institution_id, i.name AS institution_name, a.district_code, a.figures, a.policy_code,
  a.policy_version, a.opened_at, a.acknowledged_at, a.acknowledged_by, a.acknowledge_reason, a.resolved_at, a.resolved_by, a.resolve_reason`;

/** All SQL of the alerts module: it writes `alerts`; the rest are reads declared in eslint.config.mjs. */
@Injectable()
export class AlertsRepository {
  /** Serialises evaluation runs (two workers, a manual run beside the scheduled one) for this transaction. */
  async lockEvaluation(m: EntityManager): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtext('alerts.evaluation'))`);
  }

  /**
   * Opens the alerts whose condition has none open (or acknowledged); a condition key that is an
   * occurrence (a day, a movement, an event) opens once ever (`once`). Returns the ids opened.
   */
  async open(m: EntityManager, candidates: (AlertCandidate & { once: boolean })[]): Promise<string[]> {
    if (candidates.length === 0) return [];
    const rows: { id: string }[] = await m.query(
      `INSERT INTO alerts (type, severity, institution_id, district_code, condition_key, figures, policy_code, policy_version)
       SELECT c.type, c.severity, c.institution_id, c.district_code, c.condition_key, c.figures, c.policy_code, c.policy_version
         FROM jsonb_to_recordset($1::jsonb) AS c(type text, severity text, institution_id uuid, district_code text, condition_key text,
                                                 figures jsonb, policy_code text, policy_version int, once boolean)
        WHERE NOT (c.once AND EXISTS (SELECT 1 FROM alerts x WHERE x.condition_key = c.condition_key))
       ON CONFLICT (condition_key) WHERE state <> 'resolved' DO NOTHING
       RETURNING id`,
      [
        JSON.stringify(
          candidates.map((c) => ({
            type: c.type,
            severity: c.severity,
            institution_id: c.institutionId,
            district_code: c.districtCode,
            condition_key: c.conditionKey,
            figures: c.figures,
            policy_code: c.policyCode,
            policy_version: c.policyVersion,
            once: c.once,
          })),
        ),
      ],
    );
    return rows.map((r) => r.id);
  }

  /** Each supervision event of `types` since `since` becomes one alert (same type and severity, details as figures). */
  async foldEvents(m: EntityManager, types: readonly string[], since: Date): Promise<string[]> {
    const rows: { id: string }[] = await m.query(
      `INSERT INTO alerts (type, severity, institution_id, district_code, condition_key, figures, source_event_id, opened_at)
       SELECT e.type, e.severity, e.institution_id, e.district_code, 'EVENT:' || e.id,
              coalesce((SELECT jsonb_object_agg(k, v #>> '{}') FROM jsonb_each(e.details) AS d(k, v) WHERE jsonb_typeof(v) <> 'null'), '{}'::jsonb)
                || jsonb_build_object('message', e.message),
              e.id, e.created_at
         FROM supervision_events e
        WHERE e.type = ANY($1::text[]) AND e.created_at >= $2
          AND NOT EXISTS (SELECT 1 FROM alerts x WHERE x.condition_key = 'EVENT:' || e.id)
       ON CONFLICT (condition_key) WHERE state <> 'resolved' DO NOTHING
       RETURNING id`,
      [types, since],
    );
    return rows.map((r) => r.id);
  }

  /** Each institution's escrow position per currency, from the balance rows (as the audit reads it). */
  positions(m: EntityManager): Promise<PositionRow[]> {
    return m.query(
      `SELECT i.id AS institution_id, i.district_code, (i.created_at AT TIME ZONE 'Asia/Shanghai')::date::text AS registered_on, b.currency,
              coalesce(sum(b.balance) FILTER (WHERE b.account_type = 'bank_cash'), 0)::text AS bank_cash,
              coalesce(sum(b.balance) FILTER (WHERE b.account_type = 'contract_held'), 0)::text AS held
         FROM ledger_balances b JOIN institutions i ON i.id = b.institution_id
        WHERE b.account_type IN ('bank_cash', 'contract_held')
        GROUP BY 1, 2, 3, 4`,
    );
  }

  /** Outflows per institution, currency and China day since `since` (movements of the outgoing kinds; re-sends not counted twice). */
  dailyOutflows(m: EntityManager, kinds: string[], since: Date): Promise<{ institution_id: string; district_code: string; currency: string; day: string; total: string }[]> {
    return m.query(
      `SELECT s.institution_id, i.district_code, s.currency, (s.created_at AT TIME ZONE 'Asia/Shanghai')::date::text AS day, sum(s.amount)::text AS total
         FROM settlement_instructions s JOIN institutions i ON i.id = s.institution_id
        WHERE s.kind = ANY($1::text[]) AND s.created_at >= $2 AND s.reinstructs_id IS NULL
        GROUP BY 1, 2, 3, 4`,
      [kinds, since],
    );
  }

  /** Outgoing movements since `since` not judged yet, each with its escrow account's bank cash just before it. */
  movementsToJudge(
    m: EntityManager,
    kinds: string[],
    since: Date,
  ): Promise<{ id: string; institution_id: string; district_code: string; currency: string; amount: string; balance_before: string }[]> {
    return m.query(
      `SELECT s.id, s.institution_id, i.district_code, s.currency, s.amount::text,
              (SELECT coalesce(sum(p.amount), 0) FROM ledger_accounts a JOIN ledger_postings p ON p.account_id = a.id
                WHERE a.escrow_account_id = s.escrow_account_id AND a.type = 'bank_cash' AND a.currency = s.currency
                  AND p.created_at < s.created_at)::text AS balance_before
         FROM settlement_instructions s JOIN institutions i ON i.id = s.institution_id
        WHERE s.kind = ANY($1::text[]) AND s.created_at >= $2 AND s.reinstructs_id IS NULL
          AND NOT EXISTS (SELECT 1 FROM alerts x WHERE x.condition_key = 'SINGLE_MOVEMENT_ABOVE_PERCENT:' || s.id)`,
      [kinds, since],
    );
  }

  async get(m: EntityManager, id: string, lock = false): Promise<AlertRow | null> {
    const rows: AlertRow[] = await m.query(
      `SELECT ${COLUMNS} FROM alerts a JOIN institutions i ON i.id = a.institution_id WHERE a.id = $1 ${lock ? 'FOR UPDATE OF a' : ''}`,
      [id],
    );
    return rows[0] ?? null;
  }

  byIds(m: EntityManager, ids: string[]): Promise<AlertRow[]> {
    return m.query(`SELECT ${COLUMNS} FROM alerts a JOIN institutions i ON i.id = a.institution_id WHERE a.id = ANY($1::uuid[]) ORDER BY a.opened_at, a.id`, [ids]);
  }

  async acknowledge(m: EntityManager, id: string, by: string, reason: string): Promise<void> {
    await m.query(`UPDATE alerts SET state = 'acknowledged', acknowledged_at = now(), acknowledged_by = $2, acknowledge_reason = $3 WHERE id = $1`, [id, by, reason]);
  }

  async resolve(m: EntityManager, id: string, by: string, reason: string): Promise<void> {
    await m.query(`UPDATE alerts SET state = 'resolved', resolved_at = now(), resolved_by = $2, resolve_reason = $3 WHERE id = $1`, [id, by, reason]);
  }

  /** Newest first, keyset on (opened_at, id). */
  list(m: EntityManager, f: AlertListFilter): Promise<AlertRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (f.districtPatterns) where.push(`a.district_code LIKE ANY(${p(f.districtPatterns)}::text[])`);
    if (f.state) where.push(`a.state = ${p(f.state)}`);
    if (f.severity) where.push(`a.severity = ${p(f.severity)}`);
    if (f.type) where.push(`a.type = ${p(f.type)}`);
    if (f.institutionId) where.push(`a.institution_id = ${p(f.institutionId)}::uuid`);
    if (f.districtCode) where.push(`a.district_code = ${p(f.districtCode)}`);
    if (f.before) where.push(`(a.opened_at, a.id) < (${p(f.before.at)}::timestamptz, ${p(f.before.id)}::uuid)`);
    return m.query(
      `SELECT ${COLUMNS} FROM alerts a JOIN institutions i ON i.id = a.institution_id
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY a.opened_at DESC, a.id DESC LIMIT ${p(f.limit)}`,
      params,
    );
  }
}
