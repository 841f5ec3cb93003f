import { Body, Controller, Get, Header, HttpCode, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { CurrentPrincipal, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { IsCalendarDate } from '@common/http/date-input';
import { ErrorBodyDto } from '@common/http/error-body.dto';
import { Idempotent } from '@common/idempotency/idempotent.decorator';
import { ClosureRow } from './closures.repository';
import { ClosureProgress, ClosuresService } from './closures.service';
import { PlannedClosuresJob } from './jobs/planned-closures.job';

class OpenClosureDto {
  @ApiProperty({ enum: ['immediate', 'planned'], description: 'immediate (absconded, revoked: starts now) or planned (announced now, starts on closureDate)' })
  @IsIn(['immediate', 'planned'])
  kind: 'immediate' | 'planned';
  @ApiProperty({ example: '举办者失联，停止办学' }) @IsString() @Length(2, 1000) reason: string;
  @ApiPropertyOptional({ example: '2027-01-31', description: 'Planned only: the closure date, at least the policy’s notice ahead (closureNoticeMonths, default 1); default: the earliest' })
  @IsOptional()
  @IsCalendarDate()
  closureDate?: string;
}

class RunPlannedClosuresDto {
  @ApiPropertyOptional({ example: '2027-01-31', description: 'The day to act for (default: today, China time)' }) @IsOptional() @IsCalendarDate() today?: string;
}

class ReportQuery {
  @ApiPropertyOptional({ enum: ['json', 'csv'] }) @IsOptional() @IsIn(['json', 'csv']) format?: 'json' | 'csv';
}

class ClosureDto {
  @ApiProperty() id: string;
  @ApiProperty() institutionId: string;
  @ApiProperty({ enum: ['immediate', 'planned'] }) kind: string;
  @ApiProperty() reason: string;
  @ApiProperty({ enum: ['announced', 'refunding', 'refunds_done', 'completed'] }) state: string;
  @ApiProperty({ example: '2027-01-31' }) closureDate: string;
  @ApiProperty() openedAt: string;
  @ApiProperty({ nullable: true }) startedAt: string | null;
  @ApiProperty({ nullable: true }) refundsDoneAt: string | null;
  @ApiProperty({ nullable: true }) completedAt: string | null;
  @ApiProperty({ nullable: true, description: 'Cash available to the payers when the refund plan was made (null before)' }) pool: string | null;
  @ApiProperty({ nullable: true, description: 'What the payers were owed then; pool < claims means refunds paid pro rata' }) claims: string | null;
  @ApiPropertyOptional({ description: 'The bulk refund job’s progress: contracts processed (refunded, transferred, owed, nothing to refund) and still open' })
  progress?: Record<string, number | string>;

  static from(c: ClosureRow, p?: ClosureProgress): ClosureDto {
    const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
    return {
      id: c.id,
      institutionId: c.institution_id,
      kind: c.kind,
      reason: c.reason,
      state: c.state,
      closureDate: c.closure_date,
      openedAt: new Date(c.created_at).toISOString(),
      startedAt: iso(c.started_at),
      refundsDoneAt: iso(c.refunds_done_at),
      completedAt: iso(c.completed_at),
      pool: c.pool,
      claims: c.claims,
      ...(p
        ? {
            progress: {
              processed: p.processed,
              refunded: p.refunded,
              transferred: p.transferred,
              owed: p.owed,
              nothing: p.nothing,
              stillOpen: p.open,
              refundedAmount: p.refundedAmount.toString(),
              transferredAmount: p.transferredAmount.toString(),
              owedAmount: p.owedAmount.toString(),
            },
          }
        : {}),
    };
  }
}

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

@ApiTags('closures')
@Controller()
export class ClosuresController {
  constructor(
    private readonly closures: ClosuresService,
    private readonly planned: PlannedClosuresJob,
  ) {}

  @Post('institutions/:id/closures')
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'Open a closure: immediate (frozen now, every open contract refunded by a queued, resumable job) or planned (no new contracts; starts on its date)' })
  @ApiCreatedResponse({ type: ClosureDto })
  @ApiUnprocessableEntityResponse({ description: 'CLOSURE_NOTICE_TOO_SHORT (with the earliest date)', type: ErrorBodyDto })
  async open(@CurrentPrincipal() who: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Body() dto: OpenClosureDto): Promise<ClosureDto> {
    return ClosureDto.from(await this.closures.open(who, id, { kind: dto.kind, reason: dto.reason, closureDate: dto.closureDate }));
  }

  @Get('closures/:id')
  @Roles('institution', 'regulator', 'admin')
  @ApiOperation({ summary: 'A closure with the progress of its bulk refunds' })
  @ApiOkResponse({ type: ClosureDto })
  async get(@CurrentPrincipal() who: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<ClosureDto> {
    const p = await this.closures.progress(who, id);
    return ClosureDto.from(p.closure, p);
  }

  @Post('closures/:id/complete')
  @HttpCode(200)
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'Complete the closure (institution closed) once every contract is processed, the escrow ledger is zero and the account reconciled; 422 CLOSURE_NOT_COMPLETE with the figures otherwise' })
  @ApiOkResponse({ type: ClosureDto })
  @ApiUnprocessableEntityResponse({ description: 'CLOSURE_NOT_COMPLETE: details.problems and details.figures', type: ErrorBodyDto })
  async complete(@CurrentPrincipal() who: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<ClosureDto> {
    return ClosureDto.from(await this.closures.complete(who, id));
  }

  @Get('closures/:id/report')
  @Roles('institution', 'regulator', 'admin')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Every processed contract: refunded (with its refund, its state and what stays owed), transferred (to which institution and contract) or owed with the amount; ?format=csv' })
  async report(@CurrentPrincipal() who: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Query() q: ReportQuery, @Res({ passthrough: true }) reply: FastifyReply) {
    const { closure, rows } = await this.closures.report(who, id);
    const contracts = rows.map((r) => ({
      contractId: r.contract_id,
      reference: r.reference,
      outcome: r.outcome,
      amount: r.amount,
      owed: r.owed,
      refundId: r.refund_id,
      refundState: r.refund_state,
      transferId: r.transfer_id,
      receivingInstitutionId: r.receiving_institution_id,
      newContractId: r.new_contract_id,
      note: r.note,
    }));
    if (q.format !== 'csv') return { closureId: closure.id, institutionId: closure.institution_id, state: closure.state, pool: closure.pool, claims: closure.claims, contracts };
    void reply.header('content-type', 'text/csv; charset=utf-8');
    const head = ['contract_id', 'reference', 'outcome', 'amount', 'owed', 'refund_id', 'refund_state', 'transfer_id', 'receiving_institution_id', 'new_contract_id', 'note'];
    const line = (c: (typeof contracts)[number]) => [c.contractId, c.reference, c.outcome, c.amount, c.owed, c.refundId, c.refundState, c.transferId, c.receivingInstitutionId, c.newContractId, c.note];
    return [head.join(','), ...contracts.map((c) => line(c).map(csvCell).join(','))].join('\n') + '\n';
  }

  @Post('admin/closures/planned-run')
  @HttpCode(200)
  @Roles('admin')
  @Idempotent()
  @ApiOperation({ summary: 'Start the planned closures due now (it also runs every hour); each starts once' })
  runPlanned(@Body() dto: RunPlannedClosuresDto) {
    return this.planned.handle({ today: dto.today });
  }
}
