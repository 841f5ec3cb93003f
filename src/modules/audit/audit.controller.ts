import { Controller, Get, Param, ParseUUIDPipe, Query, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { IsTimestamp } from '@common/http/date-input';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { ErrorBodyDto } from '@common/http/error-body.dto';
import { auditCsv, AuditService, DistrictAudit } from './audit.service';

class AuditQueryDto {
  @ApiPropertyOptional({ example: '2026-11-22T12:00:00Z', description: 'The audit as of this past moment' }) @IsOptional() @IsTimestamp({ orDate: true }) asOf?: string;
  @ApiPropertyOptional({ enum: ['json', 'csv'], default: 'json' }) @IsOptional() @IsIn(['json', 'csv']) format?: 'json' | 'csv';
}

@ApiTags('audit')
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  private answer(a: DistrictAudit, format: string | undefined, reply: FastifyReply) {
    if (format !== 'csv') return a;
    void reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="escrow-audit-${a.district}.csv"`);
    return auditCsv(a);
  }

  @Get('districts/:code')
  @Roles('regulator', 'admin')
  @ApiOperation({ summary: 'Escrow audit of a district: per institution and currency obligations, paid in, released, refunded, transferred (closures), bank cash, coverage; totals per currency' })
  @ApiOkResponse({ description: 'JSON, or CSV with ?format=csv' })
  @ApiNotFoundResponse({ description: 'DISTRICT_NOT_FOUND: the district is outside your jurisdiction', type: ErrorBodyDto })
  async district(@CurrentPrincipal() who: Principal, @Param('code') code: string, @Query() q: AuditQueryDto, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.answer(await this.audit.district(who, code, q.asOf ? new Date(q.asOf) : null), q.format, reply);
  }

  @Get('institutions/:id')
  @Roles('regulator', 'admin', 'institution')
  @ApiOperation({ summary: 'Escrow audit of one institution (one entry per currency it holds money in)' })
  @ApiNotFoundResponse({ description: 'INSTITUTION_NOT_FOUND (also outside your scope)', type: ErrorBodyDto })
  async institution(@CurrentPrincipal() who: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Query() q: AuditQueryDto, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.answer(await this.audit.institution(who, id, q.asOf ? new Date(q.asOf) : null), q.format, reply);
  }
}
