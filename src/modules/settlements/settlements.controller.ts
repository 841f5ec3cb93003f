import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsIn, IsOptional } from 'class-validator';
import { DataSource } from 'typeorm';
import { Roles } from '../../common/auth/auth.decorators';
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
