import { IsOptional } from 'class-validator';
import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiPropertyOptional, ApiOkResponse, ApiOperation, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { CurrentPrincipal, Public, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { ErrorBodyDto } from '@common/http/error-body.dto';
import { Idempotent } from '@common/idempotency/idempotent.decorator';
import { DecisionDto, DisputeDto, LessonDto, RegisterSessionDto } from './dto/lesson.dto';
import { DeemedConfirmationJob } from './jobs/lesson-jobs';
import { LessonsService } from './lessons.service';
import { IsCalendarDate } from '@common/http/date-input';

class RunForDayDto {
  @ApiPropertyOptional({ example: '2026-12-14', description: 'The day to act for (default: today, China time)' })
  @IsOptional()
  @IsCalendarDate()
  today?: string;
}

const uuid = new ParseUUIDPipe();

@ApiTags('lessons')
@Controller()
export class LessonsController {
  constructor(
    private readonly lessons: LessonsService,
    private readonly deemed: DeemedConfirmationJob,
  ) {}

  @Post('admin/lessons/deemed-confirmation-run')
  @HttpCode(200)
  @Roles('admin')
  @Idempotent()
  @ApiOperation({ summary: 'Run deemed confirmation now (it also runs every hour); each lesson is deemed once' })
  runDeemed(@Body() dto: RunForDayDto) {
    return this.deemed.handle({ today: dto.today });
  }

  @Post('institutions/:id/lesson-sessions')
  @Roles('institution', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'Register a delivered class session with up to 200 attendees (all or none); each consumes its contract’s next lesson' })
  @ApiCreatedResponse({ description: 'The session and one lesson per attendee; `recorded` counts the new ones' })
  @ApiUnprocessableEntityResponse({ description: 'LESSON_BATCH_REJECTED (details.failures lists each attendee), NO_LESSONS_REMAINING, SESSION_IN_FUTURE, ...', type: ErrorBodyDto })
  async register(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string, @Body() dto: RegisterSessionDto) {
    const r = await this.lessons.registerSession(who, id, dto);
    return { sessionId: r.session.id, sessionKey: r.session.session_key, recorded: r.recorded, lessons: r.lessons.map(LessonDto.from) };
  }

  @Get('contracts/:id/lessons')
  @Roles('institution', 'admin', 'regulator')
  @ApiOperation({ summary: "A contract's lessons" })
  @ApiOkResponse({ type: [LessonDto] })
  async list(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string): Promise<LessonDto[]> {
    return (await this.lessons.lessonsOfContract(who, id)).map(LessonDto.from);
  }

  @Post('lessons/:id/withdraw')
  @HttpCode(200)
  @Roles('institution', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'Withdraw a disputed (or unconfirmed) lesson: the lesson returns to the contract' })
  @ApiOkResponse({ type: LessonDto })
  async withdraw(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string, @Body() dto: DisputeDto): Promise<LessonDto> {
    return LessonDto.from(await this.lessons.withdraw(who, id, dto.reason));
  }

  @Post('lessons/:id/decision')
  @HttpCode(200)
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'A regulator decides a disputed lesson' })
  async decide(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string, @Body() dto: DecisionDto) {
    const r = await this.lessons.decide(who, id, dto.decision, dto.reason);
    return { lesson: LessonDto.from(r.lesson), release: r.release };
  }

  @Post('payer/lessons/:id/confirm')
  @HttpCode(200)
  @Public()
  @ApiHeader({ name: 'payer-token', required: true, description: "The contract's payer access token" })
  @ApiOperation({ summary: 'The payer confirms a lesson; it is released at once when the escrow account allows' })
  async confirm(@Headers('payer-token') token: string, @Param('id', uuid) id: string) {
    const r = await this.lessons.confirmByPayer(token, id);
    return { lesson: LessonDto.from(r.lesson), release: r.release };
  }

  @Post('payer/lessons/:id/dispute')
  @HttpCode(200)
  @Public()
  @ApiHeader({ name: 'payer-token', required: true })
  @ApiOperation({ summary: 'The payer disputes a lesson (with a reason): it is not released until resolved' })
  @ApiOkResponse({ type: LessonDto })
  async dispute(@Headers('payer-token') token: string, @Param('id', uuid) id: string, @Body() dto: DisputeDto): Promise<LessonDto> {
    return LessonDto.from(await this.lessons.disputeByPayer(token, id, dto.reason));
  }
}
