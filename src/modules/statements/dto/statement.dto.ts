import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value);

export class StatementEntriesQueryDto {
  @ApiPropertyOptional({ minimum: 0, default: 0, description: 'Entries after this line (the previous page’s `nextAfterLine`)' })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  afterLine?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 5000, default: 1000 })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(5000)
  limit?: number;
}

export class StatementSummaryDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: '1-based position of the statement in its file' }) position: number;
  @ApiProperty({ format: 'uuid' }) escrowAccountId: string;
  @ApiProperty({ example: '1001234509876543211' }) accountNumber: string;
  @ApiProperty({ example: 'CNY' }) currency: string;
  @ApiProperty({ description: 'camt Stmt/Id, MT940 :20:, CSV statement_id' }) reference: string;
  @ApiProperty({ nullable: true, type: String, description: 'camt ElctrncSeqNb, MT940 :28C:' }) sequence: string | null;
  @ApiProperty() page: number;
  @ApiProperty({ example: '2026-11-22', description: 'The business day of the statement (its closing balance date)' }) statementDate: string;
  @ApiProperty({ example: '1000.00', description: 'Signed (credit positive) decimal string' }) openingBalance: string;
  @ApiProperty({ example: '1250.00', description: 'Signed (credit positive) decimal string' }) closingBalance: string;
  @ApiProperty({ example: '300.00', description: 'Sum of booked credits' }) credits: string;
  @ApiProperty({ example: '50.00', description: 'Sum of booked debits' }) debits: string;
  @ApiProperty({ example: '1250.00', description: 'opening + credits - debits' }) computedClosing: string;
  @ApiProperty() entries: number;
  @ApiProperty({ description: 'opening + entries = closing' }) consistent: boolean;
  @ApiProperty({ nullable: true, type: String, enum: ['STATEMENT_INCONSISTENT'], description: 'An inconsistent statement is stored but not reconciled' }) flag: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'The earlier statement of the same account, day and page this one corrects' }) supersedesId: string | null;
}

export class StatementImportDto {
  @ApiProperty({ format: 'uuid' }) fileId: string;
  @ApiProperty({ description: 'SHA-256 of the file as received (hex)' }) sha256: string;
  @ApiProperty({ enum: ['camt053', 'mt940', 'csv'] }) format: string;
  @ApiProperty() bytes: number;
  @ApiProperty({ type: [StatementSummaryDto] }) statements: StatementSummaryDto[];
}

export class StatementEntryDto {
  @ApiProperty() line: number;
  @ApiProperty({ example: '300.00', description: 'Unsigned decimal string' }) amount: string;
  @ApiProperty({ enum: ['CRDT', 'DBIT'], description: 'Direction of the booking: a reversal of a credit (MT940 RC) is DBIT' }) direction: string;
  @ApiProperty() reversal: boolean;
  @ApiProperty({ example: 'BOOK' }) status: string;
  @ApiProperty({ nullable: true, type: String }) bookingDate: string | null;
  @ApiProperty({ nullable: true, type: String }) valueDate: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'camt AcctSvcrRef, MT940 bank reference after //' }) bankReference: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'MT940 reference before //, camt NtryRef' }) customerReference: string | null;
  @ApiProperty({ nullable: true, type: String }) endToEndId: string | null;
  @ApiProperty({ nullable: true, type: String }) transactionId: string | null;
  @ApiProperty({ nullable: true, type: String }) transactionCode: string | null;
  @ApiProperty({ nullable: true, type: String }) details: string | null;
  @ApiProperty({ type: 'array', items: { type: 'object' }, description: 'camt.053 TxDtls of the entry (amounts as strings)' }) transactions: unknown[];
}

export class StatementDto extends StatementSummaryDto {
  @ApiProperty({ format: 'uuid' }) fileId: string;
  @ApiProperty() sha256: string;
  @ApiProperty({ enum: ['camt053', 'mt940', 'csv'] }) format: string;
  @ApiProperty({ nullable: true, type: String, example: '053.001.04' }) version: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'The later statement that corrects this one' }) supersededById: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Statement information (MT940 :86: after the balances, camt AddtlStmtInf)' }) info: string | null;
  @ApiProperty() receivedAt: string;
  @ApiProperty({ type: [StatementEntryDto] }) entryPage: StatementEntryDto[];
  @ApiProperty({ nullable: true, type: Number, description: 'afterLine of the next page; null on the last page' }) nextAfterLine: number | null;
}
