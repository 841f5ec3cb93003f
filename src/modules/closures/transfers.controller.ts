import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiProperty, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { IsString, IsUUID, Length } from 'class-validator';
import { CurrentPrincipal, Public, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { ErrorBodyDto } from '@common/http/error-body.dto';
import { Idempotent } from '@common/idempotency/idempotent.decorator';
import { ClosureTransfersService } from './closure-transfers.service';
import { TransferRow } from './closure-transfers.repository';

class ProposeTransferDto {
  @ApiProperty() @IsUUID() contractId: string;
  @ApiProperty() @IsUUID() receivingInstitutionId: string;
  @ApiProperty({ example: '同区就近转入' }) @IsString() @Length(2, 1000) reason: string;
}

class AcceptTransferDto {
  @ApiProperty({ description: 'The receiving institution’s course the student continues in' }) @IsUUID() courseId: string;
}

class WithdrawTransferDto {
  @ApiProperty({ example: '接收机构未答复' }) @IsString() @Length(2, 1000) reason: string;
}

class TransferDto {
  @ApiProperty() id: string;
  @ApiProperty() closureId: string;
  @ApiProperty() contractId: string;
  @ApiProperty() receivingInstitutionId: string;
  @ApiProperty({ enum: ['proposed', 'instructed', 'completed', 'failed', 'withdrawn'] }) state: string;
  @ApiProperty() reason: string;
  @ApiProperty() accepted: boolean;
  @ApiProperty() consented: boolean;
  @ApiProperty({ nullable: true, description: 'What moves: the lessons not delivered, at the price paid' }) amount: string | null;
  @ApiProperty({ nullable: true }) newContractId: string | null;
  @ApiProperty({ nullable: true }) movementId: string | null;
  @ApiProperty({ nullable: true }) withdrawnAt: Date | null;
  @ApiProperty({ nullable: true }) withdrawalReason: string | null;
  @ApiProperty({ nullable: true, description: 'The new contract’s payer token, shown once, to whoever answered last' }) newPayerToken?: string | null;

  static from(t: TransferRow, newPayerToken?: string | null): TransferDto {
    return {
      id: t.id,
      closureId: t.closure_id,
      contractId: t.contract_id,
      receivingInstitutionId: t.receiving_institution_id,
      state: t.state,
      reason: t.reason,
      accepted: t.accepted_at !== null,
      consented: t.consented_at !== null,
      amount: t.amount,
      newContractId: t.new_contract_id,
      movementId: t.movement_id,
      withdrawnAt: t.withdrawn_at,
      withdrawalReason: t.withdrawal_reason,
      ...(newPayerToken !== undefined ? { newPayerToken } : {}),
    };
  }
}

const uuid = new ParseUUIDPipe();

@ApiTags('closures')
@Controller()
export class TransfersController {
  constructor(private readonly transfers: ClosureTransfersService) {}

  @Post('closures/:id/transfers')
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'Propose the transfer of a contract of the closing institution to another institution (it accepts, the payer consents)' })
  @ApiOkResponse({ type: TransferDto })
  @ApiUnprocessableEntityResponse({ description: 'TRANSFER_NOT_POSSIBLE, TRANSFER_RECEIVER_NOT_ELIGIBLE (with the reasons), CURRENCY_MISMATCH', type: ErrorBodyDto })
  async propose(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string, @Body() dto: ProposeTransferDto): Promise<TransferDto> {
    return TransferDto.from(await this.transfers.propose(who, id, dto));
  }

  @Get('transfers/:id')
  @Roles('institution', 'regulator', 'admin')
  @ApiOperation({ summary: 'A transfer (either institution and their regulators)' })
  @ApiOkResponse({ type: TransferDto })
  async get(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string): Promise<TransferDto> {
    return TransferDto.from(await this.transfers.get(who, id));
  }

  @Post('transfers/:id/accept')
  @HttpCode(200)
  @Roles('institution', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'The receiving institution accepts the student into one of its courses' })
  @ApiOkResponse({ type: TransferDto })
  async accept(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string, @Body() dto: AcceptTransferDto): Promise<TransferDto> {
    const r = await this.transfers.accept(who, id, dto.courseId);
    return TransferDto.from(r.transfer, r.payerToken);
  }

  @Post('transfers/:id/withdraw')
  @HttpCode(200)
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'The district’s regulator withdraws a transfer before its money moves; the closure refunds the contract' })
  @ApiOkResponse({ type: TransferDto })
  @ApiConflictResponse({ description: 'TRANSFER_NOT_WITHDRAWABLE: the transfer is instructed, completed or failed', type: ErrorBodyDto })
  async withdraw(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string, @Body() dto: WithdrawTransferDto): Promise<TransferDto> {
    return TransferDto.from(await this.transfers.withdraw(who, id, dto.reason));
  }

  @Post('payer/transfers/:id/consent')
  @HttpCode(200)
  @Public()
  @Idempotent()
  @ApiHeader({ name: 'payer-token', required: true, description: "The transferred contract's payer access token" })
  @ApiOperation({ summary: 'The payer consents to the transfer' })
  @ApiOkResponse({ type: TransferDto })
  async consent(@Headers('payer-token') token: string, @Param('id', uuid) id: string): Promise<TransferDto> {
    const r = await this.transfers.consent(token, id);
    return TransferDto.from(r.transfer, r.payerToken);
  }
}
