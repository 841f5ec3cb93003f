import { Body, Controller, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { CurrentPrincipal, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { ErrorBodyDto } from '@common/http/error-body.dto';
import { Idempotent } from '@common/idempotency/idempotent.decorator';
import { QueueProbeRow } from './diagnostics.repository';
import { DiagnosticsService } from './diagnostics.service';

class CreateProbeDto {
  @ApiProperty({ required: false, minimum: 0, maximum: 60000, description: 'Simulated work inside the job (ms)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(60000)
  holdMs?: number;
}

class QueueProbeDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() requestedAt: string;
  @ApiProperty() holdMs: number;
  @ApiProperty({ nullable: true, type: String }) processedAt: string | null;
  @ApiProperty({ description: 'How many times a worker started the job' }) attempts: number;
  @ApiProperty({ description: 'How many times its effect was applied (must be 0 or 1)' }) effects: number;

  static from(p: QueueProbeRow): QueueProbeDto {
    return {
      id: p.id,
      requestedAt: new Date(p.requested_at).toISOString(),
      holdMs: p.hold_ms,
      processedAt: p.processed_at ? new Date(p.processed_at).toISOString() : null,
      attempts: p.attempts,
      effects: p.effects,
    };
  }
}

@ApiTags('admin')
@Controller('admin/diagnostics/queue-probes')
@Roles('admin')
export class DiagnosticsController {
  constructor(private readonly diagnostics: DiagnosticsService) {}

  @Post()
  @Idempotent()
  @ApiOperation({ summary: 'Send a probe job through the outbox and queue (end-to-end canary)' })
  @ApiCreatedResponse({ type: QueueProbeDto })
  async create(@Body() dto: CreateProbeDto, @CurrentPrincipal() who: Principal): Promise<QueueProbeDto> {
    return QueueProbeDto.from(await this.diagnostics.createProbe(who.id, dto.holdMs ?? 0));
  }

  @Get(':id')
  @ApiOperation({ summary: 'Probe status: processed once, attempts made' })
  @ApiOkResponse({ type: QueueProbeDto })
  @ApiNotFoundResponse({ type: ErrorBodyDto })
  async get(@Param('id', new ParseUUIDPipe()) id: string): Promise<QueueProbeDto> {
    return QueueProbeDto.from(await this.diagnostics.getProbe(id));
  }
}
