import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Length } from 'class-validator';
import { IsCalendarDate } from '@common/http/date-input';
import { CurrentPrincipal, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { districtFilter } from '@common/auth/access';
import { ErrorBodyDto } from '@common/http/error-body.dto';
import { decodeCursor, encodeCursor, PageQueryDto } from '@common/http/pagination';
import { Idempotent } from '@common/idempotency/idempotent.decorator';
import { ELIGIBILITY_REASONS } from './eligibility';
import { EligibilityService } from './eligibility.service';
import { DailySupervisionJob } from './jobs/daily-supervision.job';
import { SupervisionEventsService } from './supervision-events.service';

class EligibilityReasonDto {
  @ApiProperty({ enum: ELIGIBILITY_REASONS }) code: string;
  @ApiProperty() message: string;
  @ApiPropertyOptional({ type: Object }) details?: Record<string, unknown>;
}

class EligibilityDto {
  @ApiProperty({ format: 'uuid' }) institutionId: string;
  @ApiProperty() eligible: boolean;
  @ApiProperty({ example: '2026-11-22' }) asOf: string;
  @ApiProperty({ type: [EligibilityReasonDto] }) reasons: EligibilityReasonDto[];
  @ApiProperty({ nullable: true, type: String }) inspectionDueOn: string | null;
}

class EventsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() institutionId?: string;
  @ApiPropertyOptional({ example: 'LICENCE_EXPIRING' }) @IsOptional() @IsString() @Length(1, 60) type?: string;
}

class SupervisionEventDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) institutionId: string;
  @ApiProperty() districtCode: string;
  @ApiProperty() type: string;
  @ApiProperty({ enum: ['info', 'warning', 'critical'] }) severity: string;
  @ApiProperty() message: string;
  @ApiProperty({ type: Object }) details: Record<string, unknown>;
  @ApiProperty() createdAt: string;
}

class EventPageDto {
  @ApiProperty({ type: [SupervisionEventDto] }) items: SupervisionEventDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

class RunDailyDto {
  @ApiPropertyOptional({ example: '2026-11-22', description: 'The day to supervise (default: today, China time)' })
  @IsOptional()
  @IsCalendarDate()
  today?: string;
}

@ApiTags('supervision')
@Controller()
export class SupervisionController {
  constructor(
    private readonly eligibility: EligibilityService,
    private readonly events: SupervisionEventsService,
    private readonly daily: DailySupervisionJob,
  ) {}

  @Get('institutions/:id/eligibility')
  @Roles('regulator', 'admin', 'institution')
  @ApiOperation({ summary: 'May the institution sign new contracts now? Every reason it may not, with a code' })
  @ApiOkResponse({ type: EligibilityDto })
  @ApiNotFoundResponse({ type: ErrorBodyDto })
  check(@CurrentPrincipal() who: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<EligibilityDto> {
    return this.eligibility.forCaller(who, id);
  }

  @Get('supervision-events')
  @Roles('regulator', 'admin', 'institution')
  @ApiOperation({ summary: 'Supervision events in your districts (or of your institution), newest first' })
  @ApiOkResponse({ type: EventPageDto })
  async list(@CurrentPrincipal() who: Principal, @Query() q: EventsQueryDto): Promise<EventPageDto> {
    const limit = q.limit ?? 100;
    const cursor = decodeCursor(q.cursor, ['timestamp', 'uuid']);
    const scope = districtFilter(who);
    // An institution asking for another institution's events gets an empty page, like any filter that matches nothing.
    if (scope.institutionId && q.institutionId && q.institutionId !== scope.institutionId) return { items: [], nextCursor: null };
    const rows = await this.events.list({
      districtPatterns: scope.districtPatterns,
      institutionId: scope.institutionId ?? q.institutionId,
      type: q.type,
      before: cursor ? { at: cursor[0], id: cursor[1] } : undefined,
      limit,
    });
    const items = rows.map((r) => ({
      id: r.id,
      institutionId: r.institution_id,
      districtCode: r.district_code,
      type: r.type,
      severity: r.severity,
      message: r.message,
      details: r.details,
      createdAt: new Date(r.created_at).toISOString(),
    }));
    const last = rows[rows.length - 1];
    return { items, nextCursor: rows.length === limit ? encodeCursor([new Date(last.created_at).toISOString(), last.id]) : null };
  }

  @Post('admin/supervision/daily-run')
  @HttpCode(200)
  @Roles('admin')
  @Idempotent()
  @ApiOperation({ summary: 'Run the daily supervision now (it also runs every day at 00:05 China time); safe to repeat' })
  @ApiOkResponse({ schema: { example: { expired: 1, newEvents: 3 } } })
  runDaily(@Body() dto: RunDailyDto) {
    return this.daily.handle({ today: dto.today });
  }
}
