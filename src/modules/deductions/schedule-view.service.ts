import { Injectable } from '@nestjs/common';
import { Principal } from '@common/auth/principal';
import { DeductionsService, ScheduleView } from './deductions.service';
import { ScheduleDto, SchedulePeriodDto } from './dto/schedule.dto';

/** The one schedule answer (`GET /contracts/:id/schedule`, `GET /payer/schedule`): deduction periods or instalments. */
@Injectable()
export class ScheduleViewService {
  constructor(private readonly deductions: DeductionsService) {}

  async forContract(who: Principal, contractId: string): Promise<ScheduleDto> {
    return toDto(await this.deductions.forContract(who, contractId));
  }

  async forPayer(token: string | undefined): Promise<ScheduleDto> {
    return toDto(await this.deductions.forPayer(token));
  }
}

function toDto(v: ScheduleView): ScheduleDto {
  return { mode: v.schedule ? 'deduction' : null, periods: v.periods.map(SchedulePeriodDto.from), instalments: [] };
}
