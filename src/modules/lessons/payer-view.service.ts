import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainError } from '@common/errors/domain-error';
import { ContractRow } from '@modules/contracts/contract.types';
import { ContractsService } from '@modules/contracts/contracts.service';
import { CoursesService } from '@modules/courses/courses.service';
import { InstitutionsService } from '@modules/institutions/institutions.service';
import { ContractFunds } from '@modules/ledger/ledger.types';
import { LedgerService } from '@modules/ledger/ledger.service';
import { LessonRow, LessonsRepository } from './lessons.repository';

export interface PayerView {
  contract: ContractRow;
  institutionName: string;
  courseName: string;
  lessons: LessonRow[];
  funds: ContractFunds;
}

/**
 * What a payer sees of their own contract (the parent's page): the contract, its lessons and
 * what the ledger still holds for it. Read only; the token is the only credential.
 */
@Injectable()
export class PayerViewService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: LessonsRepository,
    private readonly contracts: ContractsService,
    private readonly courses: CoursesService,
    private readonly institutions: InstitutionsService,
    private readonly ledger: LedgerService,
  ) {}

  async view(token: string | undefined): Promise<PayerView> {
    const contract = token ? await this.contracts.byPayerToken(token) : null;
    if (!contract) throw new DomainError('INVALID_PAYER_TOKEN', 'Unknown or revoked payer token');
    const m = this.ds.manager;
    const [inst, course, lessons, funds] = await Promise.all([
      this.institutions.findById(m, contract.institution_id),
      this.courses.get(m, contract.institution_id, contract.course_id),
      this.repo.lessonsOfContract(m, contract.id),
      this.ledger.contractFunds({ escrowAccountId: contract.escrow_account_id, institutionId: contract.institution_id, contractId: contract.id, currency: contract.currency }, m),
    ]);
    return { contract, institutionName: inst?.name ?? '', courseName: course.name, lessons, funds };
  }
}
