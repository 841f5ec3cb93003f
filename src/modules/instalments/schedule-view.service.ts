import { Injectable } from '@nestjs/common';
import { Principal } from '@common/auth/principal';
import { DomainError } from '@common/errors/domain-error';
import { ContractsService } from '@modules/contracts/contracts.service';
import { DeductionsService } from '@modules/deductions/deductions.service';
import { ScheduleDto, SchedulePeriodDto } from '@modules/deductions/dto/schedule.dto';
import { InstalmentsService } from './instalments.service';

/** The one schedule answer (`GET /contracts/:id/schedule`, `GET /payer/schedule`): deduction periods, instalments, or neither. */
@Injectable()
export class ScheduleViewService {
  constructor(
    private readonly contracts: ContractsService,
    private readonly deductions: DeductionsService,
    private readonly instalments: InstalmentsService,
  ) {}

  async forContract(who: Principal, contractId: string): Promise<ScheduleDto> {
    const c = await this.contracts.get(who, contractId);
    return this.of(c.id);
  }

  async forPayer(token: string | undefined): Promise<ScheduleDto> {
    const c = token ? await this.contracts.byPayerToken(token) : null;
    if (!c) throw new DomainError('INVALID_PAYER_TOKEN', 'Unknown or revoked payer token');
    return this.of(c.id);
  }

  private async of(contractId: string): Promise<ScheduleDto> {
    const d = await this.deductions.view(contractId);
    const i = await this.instalments.view(contractId);
    return {
      mode: d.schedule ? 'deduction' : i.plan ? 'instalment' : null,
      periods: d.periods.map(SchedulePeriodDto.from),
      instalments: i.instalments.map((x) => ({ seq: x.seq, collectionDate: x.collection_date, amount: x.amount, state: x.state, coversFrom: x.covers_from, coversTo: x.covers_to })),
    };
  }
}
