import { Body, Controller, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { ErrorBodyDto } from '@common/http/error-body.dto';
import { Idempotent } from '@common/idempotency/idempotent.decorator';
import { InspectionDto, RecordInspectionDto } from './dto/inspection.dto';
import { InspectionsService } from './inspections.service';

@ApiTags('inspections')
@Controller('institutions/:id/inspections')
export class InspectionsController {
  constructor(private readonly inspections: InspectionsService) {}

  @Post()
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'Record the annual inspection of a year' })
  @ApiCreatedResponse({ type: InspectionDto })
  @ApiConflictResponse({ description: 'INSPECTION_ALREADY_RECORDED', type: ErrorBodyDto })
  async record(@CurrentPrincipal() who: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Body() dto: RecordInspectionDto): Promise<InspectionDto> {
    return InspectionDto.from(await this.inspections.record(who, id, dto));
  }

  @Get()
  @Roles('regulator', 'admin', 'institution')
  @ApiOperation({ summary: 'Inspections, newest year first' })
  @ApiOkResponse({ type: [InspectionDto] })
  async list(@CurrentPrincipal() who: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<InspectionDto[]> {
    return (await this.inspections.list(who, id)).map(InspectionDto.from);
  }
}
