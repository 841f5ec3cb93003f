import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface LicenceDue {
  licence_id: string;
  institution_id: string;
  district_code: string;
  licence_number: string | null;
  valid_to: string;
}

export interface InspectionDue {
  institution_id: string;
  district_code: string;
  due_on: string;
  last_inspected_on: string | null;
}

/** The daily supervision queries, across the register's tables (read and expire only). */
@Injectable()
export class SupervisionRepository {
  /** Marks active licences past their validity as expired; returns those it changed. */
  async expireLicences(m: EntityManager, today: string): Promise<LicenceDue[]> {
    const rows: LicenceDue[] = await m.query(
      `WITH expired AS (
         UPDATE licences SET state = 'expired', state_reason = 'validity ended', updated_at = now()
          WHERE state = 'active' AND valid_to < $1::date
          RETURNING id, institution_id, licence_number, valid_to)
       SELECT e.id AS licence_id, e.institution_id, i.district_code, e.licence_number, to_char(e.valid_to, 'YYYY-MM-DD') AS valid_to
         FROM expired e JOIN institutions i ON i.id = e.institution_id`,
      [today],
    );
    for (const r of rows) {
      await m.query(
        `INSERT INTO licence_transitions (licence_id, action, from_state, to_state, reason) VALUES ($1, 'expire', 'active', 'expired', $2)`,
        [r.licence_id, `validity ended ${r.valid_to}`],
      );
    }
    return rows;
  }

  expiringWithin(m: EntityManager, today: string, days: number): Promise<LicenceDue[]> {
    return m.query(
      `SELECT l.id AS licence_id, l.institution_id, i.district_code, l.licence_number, to_char(l.valid_to, 'YYYY-MM-DD') AS valid_to
         FROM licences l JOIN institutions i ON i.id = l.institution_id
        WHERE l.state = 'active' AND l.valid_to >= $1::date AND l.valid_to <= $1::date + $2::int`,
      [today, days],
    );
  }

  /**
   * Institutions with a licence in force whose inspection is overdue: one year after the last
   * inspection, or after the licence took effect when never inspected.
   */
  inspectionsOverdue(m: EntityManager, today: string): Promise<InspectionDue[]> {
    // The licence considered is the one eligibility looks at: in force first, else the latest expired.
    return m.query(
      `SELECT i.id AS institution_id, i.district_code,
              to_char((COALESCE(ai.last_on, l.valid_from) + interval '1 year')::date, 'YYYY-MM-DD') AS due_on,
              to_char(ai.last_on, 'YYYY-MM-DD') AS last_inspected_on
         FROM institutions i
         JOIN LATERAL (
              SELECT valid_from FROM licences
               WHERE institution_id = i.id AND state IN ('active', 'suspended', 'expired')
               ORDER BY (state IN ('active', 'suspended')) DESC, valid_to DESC NULLS LAST LIMIT 1) l ON true
         LEFT JOIN LATERAL (SELECT max(inspected_on) AS last_on FROM annual_inspections WHERE institution_id = i.id) ai ON true
        WHERE i.status <> 'closed'
          AND (COALESCE(ai.last_on, l.valid_from) + interval '1 year')::date < $1::date`,
      [today],
    );
  }
}
