import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { codePattern, districtFilter, requireDistrict, requireInstitutionAccess } from '@common/auth/access';
import { Principal } from '@common/auth/principal';
import { Clock } from '@common/clock';
import { DomainError } from '@common/errors/domain-error';
import { decodeCursor, encodeCursor } from '@common/http/pagination';
import { CalendarService } from '@modules/calendar/calendar.service';
import { StatementsService } from '@modules/statements/statements.service';
import { ExceptionsQueryDto } from './dto/reconciliation-input.dto';
import { DistrictSummaryDto, ExceptionDetailDto, ExceptionDto, ExceptionPageDto, RunDto } from './dto/reconciliation.dto';
import { ReconciliationReadsRepository } from './reconciliation-reads.repository';
import { ExceptionViewRow, ResolutionsRepository } from './resolutions.repository';
import { previousWorkingDay, toAdjustment, toDistrictSummary, toException, toMatch, toResolution, toRun } from './reconciliation.views';

export const exceptionNotFound = (id: string) => new DomainError('RECONCILIATION_EXCEPTION_NOT_FOUND', `Reconciliation exception ${id} not found`, { id });

/**
 * What regulators read of reconciliation (issue 13): the district summary of a business day, the
 * exceptions, each with its resolutions and matches, a statement's run, and for the escrow audit
 * each institution's last reconciled day. Admins read everything; a regulator its districts, and
 * anything elsewhere is 404 as if it did not exist.
 */
@Injectable()
export class ReconciliationService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: ResolutionsRepository,
    private readonly reads: ReconciliationReadsRepository,
    private readonly clock: Clock,
    private readonly calendar: CalendarService,
    private readonly statements: StatementsService,
  ) {}

  /** The exception when the caller may see (`read`) or act on (`supervise`) it; otherwise 404. */
  static requireVisible(who: Principal, x: ExceptionViewRow | null, id: string, mode: 'read' | 'supervise' = 'read', onNotFound = () => exceptionNotFound(id)): ExceptionViewRow {
    if (!x) throw onNotFound();
    requireInstitutionAccess(who, { id: x.institution_id, districtCode: x.district_code }, mode, onNotFound);
    return x;
  }

  async districtSummary(who: Principal, code: string, date?: string): Promise<DistrictSummaryDto> {
    if (!/^\d{6}$/.test(code)) throw new DomainError('INVALID_DISTRICT_CODE', 'District codes are 6 digits', { district: code });
    requireDistrict(who, code);
    // By default the day whose statements arrive this morning: the working day before today (China time).
    const calendar = date ? null : await this.calendar.workingDays();
    const day = date ?? previousWorkingDay(this.clock.today(), (d) => calendar!.isWorkday(d));
    return toDistrictSummary(code, day, await this.reads.districtDay(this.ds.manager, codePattern(code), day));
  }

  async exceptions(who: Principal, q: ExceptionsQueryDto): Promise<ExceptionPageDto> {
    const limit = q.limit ?? 100;
    const cursor = decodeCursor(q.cursor, ['timestamp', 'uuid']);
    let patterns = districtFilter(who).districtPatterns;
    if (q.districtCode) {
      requireDistrict(who, q.districtCode);
      patterns = [codePattern(q.districtCode)];
    }
    const rows = await this.reads.exceptions(this.ds.manager, {
      districtPatterns: patterns,
      state: q.state,
      type: q.type,
      date: q.date,
      escrowAccountId: q.escrowAccountId,
      before: cursor ? { at: cursor[0], id: cursor[1] } : undefined,
      limit,
    });
    const today = this.clock.today();
    const last = rows[rows.length - 1];
    return { items: rows.map((r) => toException(r, today)), nextCursor: rows.length === limit ? encodeCursor([last.cursor_at, last.id]) : null };
  }

  async exception(who: Principal, id: string): Promise<ExceptionDetailDto> {
    const m = this.ds.manager;
    const x = ReconciliationService.requireVisible(who, await this.repo.exception(m, id), id);
    return this.detail(m, x);
  }

  async detail(m: EntityManager, x: ExceptionViewRow): Promise<ExceptionDetailDto> {
    const [resolutions, matches, adjustments] = await Promise.all([this.repo.resolutionsOf(m, x.id), this.repo.matchesOf(m, x), this.repo.adjustmentsOf(m, x.id)]);
    return { ...toException(x, this.clock.today()), resolutions: resolutions.map(toResolution), matches: matches.map(toMatch), adjustments: adjustments.map(toAdjustment) };
  }

  /** The exception as it is now (after a resolution, inside its transaction). */
  async view(m: EntityManager, id: string): Promise<ExceptionDto> {
    return toException((await this.repo.exception(m, id))!, this.clock.today());
  }

  /** A statement's run: 404 STATEMENT_NOT_FOUND outside the caller's scope, RECONCILIATION_NOT_RUN until its job ran. */
  async run(who: Principal, statementId: string): Promise<RunDto> {
    const row = await this.reads.runOfStatement(this.ds.manager, statementId);
    if (!row) {
      // The statements module says whether the caller may see the statement at all.
      await this.statements.get(who, statementId, 0, 1);
      throw new DomainError('RECONCILIATION_NOT_RUN', `Statement ${statementId} has not been reconciled yet`, { statementId });
    }
    requireInstitutionAccess(who, { id: row.institution_id, districtCode: row.district_code }, 'read', () => new DomainError('STATEMENT_NOT_FOUND', `Statement ${statementId} not found`, { id: statementId }));
    return toRun(row);
  }

  /** For the escrow audit: per institution, the latest business day (up to `upTo` when given) reconciled, with or without items in transit. */
  lastReconciledDays(institutionIds: string[], upTo: string | null = null, m: EntityManager = this.ds.manager): Promise<Map<string, string>> {
    return this.reads.lastReconciledDays(m, institutionIds, upTo);
  }
}
