import { Body, Controller, HttpCode, Module, Param, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsBoolean, IsString, Length } from 'class-validator';
import { CurrentPrincipal, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { ParseCalendarDatePipe } from '@common/http/date-input';
import { Idempotent } from '@common/idempotency/idempotent.decorator';
import { CalendarRepository } from './calendar.repository';
import { CalendarService } from './calendar.service';

class CalendarOverrideDto {
  @ApiProperty({ description: 'true: a working day (e.g. an adjusted weekend); false: a holiday' }) @IsBoolean() isWorkday: boolean;
  @ApiProperty({ example: 'State Council notice for 2027' }) @IsString() @Length(2, 300) reason: string;
}

@ApiTags('admin')
@Controller('admin/calendar')
class CalendarController {
  constructor(private readonly calendar: CalendarService) {}

  @Put(':day')
  @HttpCode(200)
  @Roles('admin')
  @Idempotent()
  @ApiOperation({ summary: 'Override the working-day calendar for one day (for years not yet in the shipped table)' })
  @ApiOkResponse({ type: CalendarOverrideDto })
  async override(@CurrentPrincipal() who: Principal, @Param('day', ParseCalendarDatePipe) day: string, @Body() dto: CalendarOverrideDto) {
    await this.calendar.override(day, dto.isWorkday, dto.reason, who.id);
    return { day, ...dto };
  }
}

@Module({ controllers: [CalendarController], providers: [CalendarRepository, CalendarService], exports: [CalendarService] })
export class CalendarModule {}
