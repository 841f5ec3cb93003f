import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';
import { PageQueryDto } from '@common/http/pagination';
import { IsTimestamp } from '@common/http/date-input';

export class AsOfQueryDto {
  @ApiPropertyOptional({ example: '2026-11-22T12:00:00Z', description: 'Balance at this past moment' })
  @IsOptional()
  @IsTimestamp({ orDate: true })
  asOf?: string;
}

export class PostingsQueryDto extends PageQueryDto {}

export class ReversalDto {
  @ApiProperty({ example: 'Posted to the wrong contract' }) @IsString() @Length(5, 1000) reason: string;
}

export class AccountBalanceDto {
  @ApiProperty() id: string;
  @ApiProperty() code: string;
  @ApiProperty() type: string;
  @ApiProperty() currency: string;
  @ApiProperty({ example: '1234.56' }) balance: string;
  @ApiProperty({ nullable: true, type: String }) asOf: string | null;
}

export class PostingDto {
  @ApiProperty() id: string;
  @ApiProperty() transactionId: string;
  @ApiProperty() transactionType: string;
  @ApiProperty({ example: '-100.00', description: 'Signed: debit positive, credit negative' }) amount: string;
  @ApiProperty() currency: string;
  @ApiProperty() createdAt: string;
  @ApiProperty({ nullable: true, type: String }) memo: string | null;
}

export class PostingPageDto {
  @ApiProperty({ type: [PostingDto] }) items: PostingDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class ContractBalanceDto {
  @ApiProperty({ format: 'uuid' }) contractId: string;
  @ApiProperty() currency: string;
  @ApiProperty({ example: '11111.11' }) paidIn: string;
  @ApiProperty({ example: '231.48' }) released: string;
  @ApiProperty({ example: '0.00' }) refunded: string;
  @ApiProperty({ example: '10879.63' }) held: string;
  @ApiProperty({ description: 'paidIn = released + refunded + held (+ other movements)' }) consistent: boolean;
  @ApiProperty({ nullable: true, type: String }) asOf: string | null;
}

export class CurrencyQueryDto {
  @ApiPropertyOptional({ example: 'CNY', description: 'ISO 4217 currency of the balances (default CNY); amounts of two currencies are never added' })
  @IsOptional()
  @Matches(/^[A-Z]{3}$/)
  currency?: string;
}

export class InstitutionBalanceDto {
  @ApiProperty({ format: 'uuid' }) institutionId: string;
  @ApiProperty({ example: 'CNY' }) currency: string;
  @ApiProperty({ description: 'Held in escrow for its contracts' }) held: string;
  @ApiProperty({ description: 'Released, settlement not yet executed' }) unsettled: string;
  @ApiProperty({ description: 'Paid out to the institution' }) settled: string;
}
