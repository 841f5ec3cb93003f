import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Public, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { Idempotent } from '@common/idempotency/idempotent.decorator';
import { RunDeductionsDto, ScheduleDto } from '@modules/deductions/dto/schedule.dto';
import { ScheduleViewService } from './schedule-view.service';
import { StopInstalmentsDto } from './dto/instalment.dto';
import { InstalmentsService } from './instalments.service';
import { InstalmentsDueJob } from './jobs/instalments-due.job';

@ApiTags('instalments')
@Controller()
export class InstalmentsController {
  constructor(
    private readonly instalments: InstalmentsService,
    private readonly views: ScheduleViewService,
    private readonly job: InstalmentsDueJob,
  ) {}

  @Get('contracts/:id/schedule')
  @Roles('institution', 'regulator', 'admin')
  @ApiOperation({ summary: "The contract's schedule: deduction periods (periodic release) or instalments (debits from the payer), with their states" })
  @ApiOkResponse({ type: ScheduleDto })
  schedule(@CurrentPrincipal() who: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<ScheduleDto> {
    return this.views.forContract(who, id);
  }

  @Get('payer/schedule')
  @Public()
  @ApiHeader({ name: 'payer-token', required: true, description: "The contract's payer access token" })
  @ApiOperation({ summary: "The payer's view of the contract's schedule" })
  @ApiOkResponse({ type: ScheduleDto })
  payerSchedule(@Headers('payer-token') token: string): Promise<ScheduleDto> {
    return this.views.forPayer(token);
  }

  @Post('payer/instalments/stop')
  @HttpCode(200)
  @Public()
  @Idempotent()
  @ApiHeader({ name: 'payer-token', required: true, description: "The contract's payer access token" })
  @ApiOperation({ summary: 'The payer stops future debits: the instalments not yet sent are cancelled and nothing further is collected' })
  @ApiOkResponse({ type: ScheduleDto })
  async stop(@Headers('payer-token') token: string, @Body() dto: StopInstalmentsDto): Promise<ScheduleDto> {
    await this.instalments.stop(token, dto.reason);
    return this.views.forPayer(token);
  }

  @Post('admin/instalments/run')
  @HttpCode(200)
  @Roles('admin')
  @Idempotent()
  @ApiOperation({ summary: 'Run the daily instalment debits now (pre-notifications, debits and retries due); also runs daily at 00:50 China time' })
  run(@Body() dto: RunDeductionsDto) {
    return this.job.handle({ today: dto.today });
  }
}
