import { Body, Controller, Get, Header, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { CurrentPrincipal, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { Idempotent } from '@common/idempotency/idempotent.decorator';
import { ClosureRow } from './closures.repository';
import { ClosureProgress, ClosuresService } from './closures.service';

class OpenClosureDto {
  @ApiProperty({ enum: ['immediate'], description: 'immediate (absconded, revoked); planned closures are announced with POST /institutions/:id/closing' })
  @IsIn(['immediate'])
  kind: 'immediate';
  @ApiProperty({ example: '举办者失联，停止办学' }) @IsString() @Length(2, 1000) reason: string;
}

class ReportQuery {
  @ApiPropertyOptional({ enum: ['json', 'csv'] }) @IsOptional() @IsIn(['json', 'csv']) format?: 'json' | 'csv';
}

class ClosureDto {
  @ApiProperty() id: string;
  @ApiProperty() institutionId: string;
  @ApiProperty({ enum: ['immediate'] }) kind: string;
  @ApiProperty() reason: string;
  @ApiProperty({ enum: ['refunding', 'refunds_done'] }) state: string;
  @ApiProperty() openedAt: string;
  @ApiProperty({ nullable: true }) refundsDoneAt: string | null;
  @ApiPropertyOptional({ description: 'The bulk refund job’s progress: contracts processed (refunded, owed, nothing to refund) and still open' })
  progress?: { processed: number; refunded: number; owed: number; nothing: number; stillOpen: number; refundedAmount: string; owedAmount: string };

  static from(c: ClosureRow, p?: ClosureProgress): ClosureDto {
    return {
      id: c.id,
      institutionId: c.institution_id,
      kind: c.kind,
      reason: c.reason,
      state: c.state,
      openedAt: new Date(c.created_at).toISOString(),
      refundsDoneAt: c.refunds_done_at ? new Date(c.refunds_done_at).toISOString() : null,
      ...(p
        ? { progress: { processed: p.processed, refunded: p.refunded, owed: p.owed, nothing: p.nothing, stillOpen: p.open, refundedAmount: p.refundedAmount.toString(), owedAmount: p.owedAmount.toString() } }
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
  constructor(private readonly closures: ClosuresService) {}

  @Post('institutions/:id/closures')
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'Open an immediate closure: the institution is closing, its escrow account frozen, and every open contract refunded by a queued, resumable job' })
  @ApiCreatedResponse({ type: ClosureDto })
  async open(@CurrentPrincipal() who: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Body() dto: OpenClosureDto): Promise<ClosureDto> {
    return ClosureDto.from(await this.closures.open(who, id, dto.reason));
  }

  @Get('closures/:id')
  @Roles('institution', 'regulator', 'admin')
  @ApiOperation({ summary: 'A closure with the progress of its bulk refunds' })
  @ApiOkResponse({ type: ClosureDto })
  async get(@CurrentPrincipal() who: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<ClosureDto> {
    const p = await this.closures.progress(who, id);
    return ClosureDto.from(p.closure, p);
  }

  @Get('closures/:id/report')
  @Roles('institution', 'regulator', 'admin')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Every processed contract: refunded (with its refund and its state), owed (with the amount and why) or nothing to refund; ?format=csv' })
  async report(@CurrentPrincipal() who: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Query() q: ReportQuery, @Res({ passthrough: true }) reply: FastifyReply) {
    const { closure, rows } = await this.closures.report(who, id);
    const contracts = rows.map((r) => ({ contractId: r.contract_id, reference: r.reference, outcome: r.outcome, amount: r.amount, refundId: r.refund_id, refundState: r.refund_state, note: r.note }));
    if (q.format !== 'csv') return { closureId: closure.id, institutionId: closure.institution_id, state: closure.state, contracts };
    void reply.header('content-type', 'text/csv; charset=utf-8');
    const head = ['contract_id', 'reference', 'outcome', 'amount', 'refund_id', 'refund_state', 'note'];
    return [head.join(','), ...contracts.map((c) => [c.contractId, c.reference, c.outcome, c.amount, c.refundId, c.refundState, c.note].map(csvCell).join(','))].join('\n') + '\n';
  }
}
