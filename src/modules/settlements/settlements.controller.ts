import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Query, RawBodyRequest, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiHeader, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsIn, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { DataSource } from 'typeorm';
import { CurrentPrincipal, Roles } from '../../common/auth/auth.decorators';
import { Principal } from '../../common/auth/principal';
import { ErrorBodyDto } from '../../common/http/error-body.dto';
import { IsAmount } from '../../common/money/is-amount.decorator';
import { BanksService } from '../bank-credits/banks.service';
import { SettlementResultsService } from './settlement-results.service';
import { DomainError } from '../../common/errors/domain-error';
import { Idempotent } from '../../common/idempotency/idempotent.decorator';
import { SettlementDeliveryService } from './settlement-delivery.service';

class InstructionQueryDto {
  @ApiPropertyOptional({ enum: ['true'] }) @IsOptional() @IsIn(['true', 'false']) deadLettered?: string;
}

@ApiTags('admin')
@Controller('admin')
@Roles('admin')
export class SettlementsController {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly delivery: SettlementDeliveryService,
  ) {}

  @Get('settlement-instructions')
  @ApiOperation({ summary: 'Latest settlement instructions (or only the dead-lettered ones)' })
  list(@Query() q: InstructionQueryDto) {
    return this.ds.query(
      `SELECT id, kind, state, amount::text, currency, sequence, attempts, last_attempt_at, next_attempt_at, dead_lettered_at, escrow_account_id, institution_id, created_at
         FROM settlement_instructions WHERE ($1::boolean IS NOT TRUE OR dead_lettered_at IS NOT NULL) ORDER BY created_at DESC LIMIT 100`,
      [q.deadLettered === 'true'],
    );
  }

  @Get('settlement-instructions/:id')
  @ApiOperation({ summary: 'An instruction with every delivery attempt (time, status, latency, answer snippet)' })
  async get(@Param('id', new ParseUUIDPipe()) id: string) {
    const [instruction] = await this.ds.query(`SELECT *, amount::text FROM settlement_instructions WHERE id = $1`, [id]);
    if (!instruction) throw new DomainError('NOT_FOUND', `Settlement instruction ${id} not found`);
    const attempts = await this.ds.query(
      `SELECT attempt, at, status_code, error, latency_ms, response FROM settlement_delivery_attempts WHERE instruction_id = $1 ORDER BY id`,
      [id],
    );
    return { ...instruction, attempts };
  }

  @Post('settlement-instructions/:id/redeliver')
  @HttpCode(202)
  @Idempotent()
  @ApiOperation({ summary: 'Deliver again from the first attempt (same webhook id)' })
  async redeliver(@Param('id', new ParseUUIDPipe()) id: string) {
    await this.delivery.redeliver(id);
    return { id, redelivery: 'queued' };
  }

  @Post('banks/:code/enable')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ summary: 'Re-enable a bank endpoint disabled by a 410, and redeliver what waited for it' })
  async enable(@Param('code') code: string) {
    const res: [unknown[], number] = await this.ds.query(`UPDATE banks SET disabled_at = NULL, disabled_reason = NULL WHERE code = $1 RETURNING code`, [code]);
    if (!res[0].length) throw new DomainError('BANK_NOT_FOUND', `Bank ${code} not found`);
    const waiting: { id: string }[] = await this.ds.query(
      `SELECT s.id FROM settlement_instructions s JOIN escrow_accounts e ON e.id = s.escrow_account_id WHERE e.bank_code = $1 AND s.state = 'queued'`,
      [code],
    );
    for (const w of waiting) await this.delivery.redeliver(w.id);
    return { code, enabled: true, redelivering: waiting.length };
  }
}

export class SettlementResultDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() instructionId: string;
  @ApiProperty({ enum: ['executed', 'failed'] }) @IsIn(['executed', 'failed']) status: 'executed' | 'failed';
  @ApiProperty({ example: '66.66' }) @IsAmount() amount: string;
  @ApiProperty({ example: 'CNY' }) @Matches(/^[A-Z]{3}$/) currency: string;
  @ApiProperty({ example: '1001299900000002' }) @IsString() @Length(1, 40) fromAccountNumber: string;
  @ApiPropertyOptional({ example: 'ICBC20261214000042' }) @IsOptional() @IsString() @Length(1, 100) bankTransactionId?: string;
  @ApiPropertyOptional({ example: 'AC04', description: 'Bank reason code when failed' }) @IsOptional() @IsString() @Length(1, 40) reasonCode?: string;
}

@ApiTags('banks')
@Controller('bank')
export class SettlementResultsController {
  constructor(
    private readonly results: SettlementResultsService,
    private readonly banks: BanksService,
  ) {}

  @Post('settlement-results')
  @Roles('bank')
  @ApiHeader({ name: 'webhook-id', required: true, description: 'A repeated webhook-id is ignored (answered as the first time)' })
  @ApiHeader({ name: 'webhook-signature', required: true })
  @ApiOperation({ summary: 'The bank reports an instruction executed (with its transaction id) or failed (with a reason code)' })
  @ApiUnauthorizedResponse({ description: 'INVALID_SIGNATURE', type: ErrorBodyDto })
  async report(
    @CurrentPrincipal() who: Principal,
    @Req() req: RawBodyRequest<FastifyRequest>,
    @Headers() headers: Record<string, string>,
    @Body() dto: SettlementResultDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.banks.verify(who.bankCode!, req.rawBody, headers);
    const { response, replayed } = await this.results.record(who, headers['webhook-id'], dto);
    if (replayed) void reply.header('idempotent-replayed', 'true');
    return response;
  }
}
