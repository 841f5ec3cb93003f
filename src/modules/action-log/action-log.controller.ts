import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsUUID, Matches } from 'class-validator';
import { CurrentPrincipal, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { decodeCursor, encodeCursor, PageQueryDto } from '@common/http/pagination';
import { ActionLogService } from './action-log.service';

class ActionLogQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: '310117' })
  @IsOptional()
  @Matches(/^\d{6}$/, { message: 'districtCode must be a 6-digit administrative code' })
  districtCode?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() institutionId?: string;
}

class ActionDto {
  @ApiProperty({ example: '1842' }) id: string;
  @ApiProperty() at: string;
  @ApiProperty({ description: 'The API key that called' }) actorId: string;
  @ApiProperty({ enum: ['admin', 'regulator', 'institution', 'bank'] }) role: string;
  @ApiProperty({ example: 'POST' }) method: string;
  @ApiProperty({ example: '/institutions/:id/contracts', description: 'The route called (its pattern)' }) route: string;
  @ApiProperty({ nullable: true, type: String, example: 'id=8b1d6a52-0f3e-4d7a-b2c9-5e4f3a2b1c0d', description: 'The path parameters (phone numbers masked); of a refused call (4xx), shown to admins only' }) target: string | null;
  @ApiProperty() requestId: string;
  @ApiProperty({ example: 201, description: 'The HTTP status answered' }) status: number;
}

class ActionPageDto {
  @ApiProperty({ type: [ActionDto] }) items: ActionDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

@ApiTags('action-log')
@Controller('action-log')
export class ActionLogController {
  constructor(private readonly log: ActionLogService) {}

  @Get()
  @Roles('regulator', 'admin')
  @ApiOperation({ summary: 'Mutating calls of admins, regulators, institutions and banks in your districts, newest first' })
  @ApiOkResponse({ type: ActionPageDto })
  async list(@CurrentPrincipal() who: Principal, @Query() q: ActionLogQueryDto): Promise<ActionPageDto> {
    const limit = q.limit ?? 100;
    const cursor = decodeCursor(q.cursor, ['bigint']);
    const rows = await this.log.list(who, { districtCode: q.districtCode, institutionId: q.institutionId, beforeId: cursor?.[0], limit });
    return {
      items: rows.map((r) => ({
        id: r.id,
        at: new Date(r.at).toISOString(),
        actorId: r.actor_id,
        role: r.role,
        method: r.method,
        route: r.route,
        // A refused call may name another tenant's ids: only admins see what it named.
        target: who.role === 'admin' || r.status < 400 ? r.target : null,
        requestId: r.request_id,
        status: r.status,
      })),
      nextCursor: rows.length === limit ? encodeCursor([rows[rows.length - 1].id]) : null,
    };
  }
}
