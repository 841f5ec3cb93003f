import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export type InspectionResult = 'pass' | 'conditional' | 'fail';

export interface Inspection {
  id: string;
  institutionId: string;
  year: number;
  result: InspectionResult;
  findings: string;
  fundSupervisionFindings: string;
  inspector: string;
  /** YYYY-MM-DD */
  inspectedOn: string;
  recordedBy: string | null;
  recordedAt: Date;
}

export type NewInspection = Omit<Inspection, 'id' | 'recordedAt'>;

interface InspectionRow {
  id: string;
  institution_id: string;
  year: number;
  result: InspectionResult;
  findings: string;
  fund_supervision_findings: string;
  inspector: string;
  inspected_on: string;
  recorded_by: string | null;
  recorded_at: Date;
}

const COLUMNS = `id, institution_id, year, result, findings, fund_supervision_findings, inspector,
                 to_char(inspected_on, 'YYYY-MM-DD') AS inspected_on, recorded_by, recorded_at`;

const toInspection = (r: InspectionRow): Inspection => ({
  id: r.id,
  institutionId: r.institution_id,
  year: r.year,
  result: r.result,
  findings: r.findings,
  fundSupervisionFindings: r.fund_supervision_findings,
  inspector: r.inspector,
  inspectedOn: r.inspected_on,
  recordedBy: r.recorded_by,
  recordedAt: r.recorded_at,
});

@Injectable()
export class InspectionsRepository {
  async insert(m: EntityManager, i: NewInspection): Promise<Inspection> {
    const rows: InspectionRow[] = await m.query(
      `INSERT INTO annual_inspections (institution_id, year, result, findings, fund_supervision_findings, inspector, inspected_on, recorded_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
      [i.institutionId, i.year, i.result, i.findings, i.fundSupervisionFindings, i.inspector, i.inspectedOn, i.recordedBy],
    );
    return toInspection(rows[0]);
  }

  async listForInstitution(m: EntityManager, institutionId: string): Promise<Inspection[]> {
    const rows: InspectionRow[] = await m.query(`SELECT ${COLUMNS} FROM annual_inspections WHERE institution_id = $1 ORDER BY year DESC`, [institutionId]);
    return rows.map(toInspection);
  }

  /** The most recent inspection of each institution given. */
  async latest(m: EntityManager, institutionIds: string[]): Promise<Inspection[]> {
    if (institutionIds.length === 0) return [];
    const rows: InspectionRow[] = await m.query(
      `SELECT DISTINCT ON (institution_id) ${COLUMNS} FROM annual_inspections
        WHERE institution_id = ANY($1::uuid[]) ORDER BY institution_id, inspected_on DESC, year DESC`,
      [institutionIds],
    );
    return rows.map(toInspection);
  }
}
