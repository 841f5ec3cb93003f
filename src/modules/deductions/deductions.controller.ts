import { Body, Controller, Headers, HttpCode, Param, ParseIntPipe, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Public, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { Idempotent } from '@common/idempotency/idempotent.decorator';
import { DeductionsService } from './deductions.service';
import { ObjectPeriodDto, PauseDto, PeriodDecisionDto, ProposePauseDto, RunDeductionsDto, SchedulePeriodDto } from './dto/schedule.dto';
import { DeductionsDueJob } from './jobs/deductions-due.job';

const uuid = new ParseUUIDPipe();

@ApiTags('deductions')
@Controller()
export class DeductionsController {
  constructor(
    private readonly deductions: DeductionsService,
    private readonly job: DeductionsDueJob,
  ) {}

  @Post('payer/schedule/objections')
  @Public()
  @Idempotent()
  @ApiHeader({ name: 'payer-token', required: true })
  @ApiOperation({ summary: 'The payer objects to a period not yet deducted (service not delivered): it waits for a regulator of the district' })
  @ApiCreatedResponse({ type: SchedulePeriodDto })
  async object(@Headers('payer-token') token: string, @Body() dto: ObjectPeriodDto): Promise<SchedulePeriodDto> {
    return SchedulePeriodDto.from(await this.deductions.object(token, dto.seq, dto.reason));
  }

  @Post('contracts/:id/schedule/periods/:seq/decision')
  @HttpCode(200)
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: "A regulator of the district decides a payer's objection to a period: release or withhold" })
  @ApiOkResponse({ type: SchedulePeriodDto })
  async decide(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string, @Param('seq', new ParseIntPipe()) seq: number, @Body() dto: PeriodDecisionDto): Promise<SchedulePeriodDto> {
    return SchedulePeriodDto.from(await this.deductions.decide(who, id, seq, dto.decision, dto.reason));
  }

  @Post('contracts/:id/schedule/pauses')
  @Roles('institution', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'The institution proposes a pause (leave of absence) of the deduction schedule; it takes effect when the payer agrees' })
  @ApiCreatedResponse({ type: PauseDto })
  async proposePause(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string, @Body() dto: ProposePauseDto): Promise<PauseDto> {
    return PauseDto.from(await this.deductions.proposePause(who, id, dto));
  }

  @Post('payer/schedule/pauses/agree')
  @HttpCode(200)
  @Public()
  @Idempotent()
  @ApiHeader({ name: 'payer-token', required: true })
  @ApiOperation({ summary: 'The payer agrees to the proposed pause: every period not yet due moves by its days' })
  @ApiOkResponse({ type: PauseDto })
  async agreePause(@Headers('payer-token') token: string): Promise<PauseDto> {
    const r = await this.deductions.agreePause(token);
    return PauseDto.from(r.pause, r.shifted);
  }

  @Post('admin/deductions/run')
  @HttpCode(200)
  @Roles('admin')
  @Idempotent()
  @ApiOperation({ summary: 'Run the daily deductions now (also runs daily at 00:45 China time); each due period is instructed once' })
  run(@Body() dto: RunDeductionsDto) {
    return this.job.handle({ today: dto.today });
  }
}
