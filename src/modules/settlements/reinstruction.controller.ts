import { Body, Controller, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNotFoundResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import { CurrentPrincipal, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { ErrorBodyDto } from '@common/http/error-body.dto';
import { NestedObject } from '@common/http/field-rules';
import { Idempotent } from '@common/idempotency/idempotent.decorator';
import { MovementRow } from '@modules/money-movements/money-movement.types';
import { MovementReinstructionService } from '@modules/money-movements/movement-reinstruction.service';

class PayeeAccountDto {
  @ApiPropertyOptional({ example: 'CMB-SH' }) @IsOptional() @IsString() @Length(1, 40) bank?: string;
  @ApiProperty({ example: '6225880000000001' }) @IsString() @Length(4, 40) accountNumber: string;
  @ApiPropertyOptional({ example: '家长' }) @IsOptional() @IsString() @Length(1, 200) accountName?: string;
}

class ReinstructDto {
  @ApiProperty({ example: 'The institution corrected its payout account' }) @IsString() @Length(2, 1000) reason: string;
  @ApiPropertyOptional({ type: PayeeAccountDto, description: "Only for a movement to the payer's original account: another account to pay (default: the same)" })
  @IsOptional()
  @NestedObject(() => PayeeAccountDto)
  payee?: PayeeAccountDto;
}

class ReinstructedDto {
  @ApiProperty() id: string;
  @ApiProperty() kind: string;
  @ApiProperty() state: string;
  @ApiProperty({ example: '231.48' }) amount: string;
  @ApiProperty() currency: string;
  @ApiProperty({ description: 'The failed movement this one sends again' }) reinstructsId: string | null;
  @ApiProperty() reason: string | null;
  @ApiProperty() endToEndRef: string;
  @ApiProperty({ description: 'The payee as snapshotted now (after the cause was fixed)' }) to: { bank: string | null; accountNumber: string | null; accountName: string | null };

  static from(r: MovementRow): ReinstructedDto {
    return {
      id: r.id,
      kind: r.kind,
      state: r.state,
      amount: r.amount,
      currency: r.currency,
      reinstructsId: r.reinstructs_id,
      reason: r.reinstruct_reason,
      endToEndRef: r.end_to_end_ref,
      to: { bank: r.payee_bank, accountNumber: r.payee_account_number, accountName: r.payee_account_name },
    };
  }
}

/** Sending a failed movement again, for the district's regulators and admins. */
@ApiTags('settlements')
@Controller('settlement-instructions')
export class ReinstructionController {
  constructor(private readonly reinstruction: MovementReinstructionService) {}

  @Post(':id/reinstruct')
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'Send a failed movement again, after its cause is fixed: a new movement linked to the failed one (once per failed movement)' })
  @ApiCreatedResponse({ type: ReinstructedDto })
  @ApiNotFoundResponse({ description: 'SETTLEMENT_INSTRUCTION_NOT_FOUND (also outside the caller’s districts)', type: ErrorBodyDto })
  async reinstruct(@CurrentPrincipal() who: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Body() dto: ReinstructDto): Promise<ReinstructedDto> {
    const { movement } = await this.reinstruction.reinstruct(who, id, { reason: dto.reason, payee: dto.payee ?? null });
    return ReinstructedDto.from(movement);
  }
}
