import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { ErrorBodyDto } from '@common/http/error-body.dto';
import { decodeCursor, encodeCursor, PageQueryDto } from '@common/http/pagination';
import { Idempotent } from '@common/idempotency/idempotent.decorator';
import { ClosingDto, InstitutionDto, InstitutionHistoryDto, InstitutionPageDto, RegisterInstitutionDto, UpdateInstitutionDto } from './dto/institution.dto';
import { InstitutionsService } from './institutions.service';

@ApiTags('institutions')
@Controller('institutions')
export class InstitutionsController {
  constructor(private readonly institutions: InstitutionsService) {}

  @Post()
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'Register an institution in a district of your jurisdiction' })
  @ApiCreatedResponse({ type: InstitutionDto })
  @ApiBadRequestResponse({ description: 'INVALID_USCC, VALIDATION_FAILED', type: ErrorBodyDto })
  @ApiNotFoundResponse({ description: 'DISTRICT_NOT_FOUND: the district is outside your jurisdiction', type: ErrorBodyDto })
  @ApiConflictResponse({ description: 'INSTITUTION_ALREADY_REGISTERED', type: ErrorBodyDto })
  async register(@CurrentPrincipal() who: Principal, @Body() dto: RegisterInstitutionDto): Promise<InstitutionDto> {
    return InstitutionDto.from(await this.institutions.register(who, dto));
  }

  @Get()
  @Roles('regulator', 'admin', 'institution')
  @ApiOperation({ summary: 'Institutions you may see (keyset pages)' })
  @ApiOkResponse({ type: InstitutionPageDto })
  async list(@CurrentPrincipal() who: Principal, @Query() q: PageQueryDto): Promise<InstitutionPageDto> {
    const limit = q.limit ?? 100;
    const after = decodeCursor(q.cursor, ['uuid'])?.[0] ?? null;
    const rows = await this.institutions.list(who, after, limit);
    return { items: rows.map(InstitutionDto.from), nextCursor: rows.length === limit ? encodeCursor([rows[rows.length - 1].id]) : null };
  }

  @Get(':id')
  @Roles('regulator', 'admin', 'institution')
  @ApiOperation({ summary: 'One institution' })
  @ApiOkResponse({ type: InstitutionDto })
  @ApiNotFoundResponse({ description: 'INSTITUTION_NOT_FOUND (also outside your scope)', type: ErrorBodyDto })
  async get(@CurrentPrincipal() who: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<InstitutionDto> {
    return InstitutionDto.from(await this.institutions.getVisible(who, id));
  }

  @Patch(':id')
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'Change registered details (kept in the history; a new legal representative raises a supervision event)' })
  @ApiOkResponse({ type: InstitutionDto })
  @ApiNotFoundResponse({ type: ErrorBodyDto })
  async update(@CurrentPrincipal() who: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Body() dto: UpdateInstitutionDto): Promise<InstitutionDto> {
    return InstitutionDto.from(await this.institutions.update(who, id, dto));
  }

  @Post(':id/closing')
  @HttpCode(200)
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'Record a planned closure: the institution may not sign new contracts' })
  @ApiOkResponse({ type: InstitutionDto })
  async closing(@CurrentPrincipal() who: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Body() dto: ClosingDto): Promise<InstitutionDto> {
    return InstitutionDto.from(await this.institutions.markClosing(who, id, dto.reason, dto.plannedClosureDate));
  }

  @Get(':id/history')
  @Roles('regulator', 'admin', 'institution')
  @ApiOperation({ summary: 'Every change: who, when, before, after' })
  @ApiOkResponse({ type: [InstitutionHistoryDto] })
  async history(@CurrentPrincipal() who: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<InstitutionHistoryDto[]> {
    const rows = await this.institutions.history(who, id);
    return rows.map((r) => ({
      id: r.id,
      changeType: r.change_type,
      changedBy: r.changed_by,
      changedAt: new Date(r.changed_at).toISOString(),
      before: r.before,
      after: r.after,
    }));
  }
}
