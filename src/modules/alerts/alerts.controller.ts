import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { ErrorBodyDto } from '@common/http/error-body.dto';
import { decodeCursor, encodeCursor } from '@common/http/pagination';
import { Idempotent } from '@common/idempotency/idempotent.decorator';
import { alertView } from './alert-view';
import { AlertDto, AlertPageDto, AlertReasonDto, AlertsQueryDto } from './dto/alerts.dto';
import { AlertEvaluationJob } from './jobs/alert-evaluation.job';
import { AlertsService } from './alerts.service';

@ApiTags('alerts')
@Controller()
export class AlertsController {
  constructor(
    private readonly alerts: AlertsService,
    private readonly evaluation: AlertEvaluationJob,
  ) {}

  @Get('alerts')
  @Roles('regulator', 'admin')
  @ApiOperation({ summary: 'Risk alerts of your districts, newest first (filters: state, severity, type, institution, district)' })
  @ApiOkResponse({ type: AlertPageDto })
  async list(@CurrentPrincipal() who: Principal, @Query() q: AlertsQueryDto): Promise<AlertPageDto> {
    const limit = q.limit ?? 100;
    const cursor = decodeCursor(q.cursor, ['timestamp', 'uuid']);
    const rows = await this.alerts.list(who, {
      state: q.state,
      severity: q.severity,
      type: q.type,
      institutionId: q.institutionId,
      districtCode: q.districtCode,
      before: cursor ? { at: cursor[0], id: cursor[1] } : undefined,
      limit,
    });
    const last = rows[rows.length - 1];
    return { items: rows.map(alertView), nextCursor: rows.length === limit ? encodeCursor([new Date(last.opened_at).toISOString(), last.id]) : null };
  }

  @Post('alerts/:id/acknowledge')
  @HttpCode(200)
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'Acknowledge an open alert (who and why are recorded)' })
  @ApiOkResponse({ type: AlertDto })
  @ApiNotFoundResponse({ type: ErrorBodyDto })
  @ApiConflictResponse({ description: 'INVALID_ALERT_TRANSITION', type: ErrorBodyDto })
  async acknowledge(@CurrentPrincipal() who: Principal, @Param('id') id: string, @Body() dto: AlertReasonDto): Promise<AlertDto> {
    return alertView(await this.alerts.acknowledge(who, id, dto.reason));
  }

  @Post('alerts/:id/resolve')
  @HttpCode(200)
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'Resolve an open or acknowledged alert (who and why are recorded)' })
  @ApiOkResponse({ type: AlertDto })
  @ApiNotFoundResponse({ type: ErrorBodyDto })
  @ApiConflictResponse({ description: 'INVALID_ALERT_TRANSITION', type: ErrorBodyDto })
  async resolve(@CurrentPrincipal() who: Principal, @Param('id') id: string, @Body() dto: AlertReasonDto): Promise<AlertDto> {
    return alertView(await this.alerts.resolve(who, id, dto.reason));
  }

  @Post('admin/alerts/evaluation-run')
  @HttpCode(200)
  @Roles('admin')
  @Idempotent()
  @ApiOperation({ summary: 'Evaluate every alert rule now (it also runs every 5 minutes); safe to repeat' })
  @ApiOkResponse({ schema: { example: { today: '2026-12-02', opened: ['3f0c2a9e-5b7d-4c1e-9a64-2d8f1b6e7c10'] } } })
  run() {
    return this.evaluation.handle();
  }
}
