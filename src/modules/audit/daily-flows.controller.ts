import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { CurrentPrincipal, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { ErrorBodyDto } from '@common/http/error-body.dto';
import { DailyFlows, DailyFlowsService } from './daily-flows.service';

class DailyFlowsQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 366, default: 30, description: 'How many days, ending today (China time)' })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' && /^\d{1,3}$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(366)
  days?: number;
}

@ApiTags('audit')
@Controller('audit')
export class DailyFlowsController {
  constructor(private readonly flows: DailyFlowsService) {}

  @Get('districts/:code/daily-flows')
  @Roles('regulator', 'admin')
  @ApiOperation({ summary: "Daily inflows and outflows of a district's escrow accounts (bank cash), per China day and currency" })
  @ApiOkResponse({ description: '{ district, from, to, days: [{ day, currency, inflow, outflow }] }' })
  @ApiNotFoundResponse({ description: 'DISTRICT_NOT_FOUND: the district is outside your jurisdiction', type: ErrorBodyDto })
  district(@CurrentPrincipal() who: Principal, @Param('code') code: string, @Query() q: DailyFlowsQueryDto): Promise<DailyFlows> {
    return this.flows.district(who, code, q.days ?? 30);
  }
}
