import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUrl, Length, Matches } from 'class-validator';
import { OmittableNotNull } from '@common/http/field-rules';
import { Bank } from '../banks.service';

// A delivery needs an absolute http(s) URL; hosts without a TLD (a bank's internal name, an IP) are fine.
const WEBHOOK_URL = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };
const WEBHOOK_URL_MESSAGE = { message: 'webhookUrl must be an absolute http(s) URL' };

export class RegisterBankDto {
  @ApiProperty({ example: 'ICBC-SH' }) @Matches(/^[A-Z0-9-]{2,40}$/, { message: 'code must be 2-40 upper-case letters, digits or dashes' }) code: string;
  @ApiProperty({ example: '中国工商银行上海分行' }) @IsString() @Length(2, 200) name: string;
  @ApiPropertyOptional({ example: 'https://bank.example/escrow/webhooks' }) @IsOptional() @IsUrl(WEBHOOK_URL, WEBHOOK_URL_MESSAGE) webhookUrl?: string;
}

/** Leave a field out to keep it; `null` is refused (a bank's name cannot be cleared, nor its endpoint by PATCH). */
export class UpdateBankDto {
  @ApiPropertyOptional({ example: '中国工商银行上海分行' }) @OmittableNotNull() @IsString() @Length(2, 200) name?: string;
  @ApiPropertyOptional({ example: 'https://bank.example/escrow/webhooks/v2', description: 'Where settlement instructions are delivered from now on' })
  @OmittableNotNull()
  @IsUrl(WEBHOOK_URL, WEBHOOK_URL_MESSAGE)
  webhookUrl?: string;
}

export class BankDto {
  @ApiProperty({ example: 'ICBC-SH' }) code: string;
  @ApiProperty() name: string;
  @ApiProperty({ nullable: true, type: String }) webhookUrl: string | null;
  @ApiProperty({ example: 2, description: 'How many signing secrets verify now (never the secrets themselves)' }) secrets: number;
  @ApiProperty({ type: 'array', items: { type: 'string', format: 'date-time', nullable: true }, description: 'When each secret was added, oldest first (null: before secrets were sealed at rest)' })
  secretsCreatedAt: (string | null)[];
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'Set when the endpoint answered 410' }) disabledAt: string | null;
  @ApiProperty({ nullable: true, type: String }) disabledReason: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;

  static from(b: Bank): BankDto {
    return {
      code: b.code,
      name: b.name,
      webhookUrl: b.webhookUrl,
      secrets: b.secretCount,
      secretsCreatedAt: b.secretsCreatedAt,
      disabledAt: b.disabledAt ? new Date(b.disabledAt).toISOString() : null,
      disabledReason: b.disabledReason,
      createdAt: new Date(b.createdAt).toISOString(),
      updatedAt: new Date(b.updatedAt).toISOString(),
    };
  }
}

export class BankEventDto {
  @ApiProperty({ enum: ['registered', 'secret_added', 'secret_retired', 'updated', 'disabled', 'enabled', 'secrets_sealed', 'secrets_resealed'] }) action: string;
  @ApiProperty({ nullable: true, type: String, description: 'API key id; null for the service itself' }) actorId: string | null;
  @ApiProperty({ type: Object }) details: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) at: string;
}

export class BankDetailDto extends BankDto {
  @ApiProperty({ type: [BankEventDto] }) history: BankEventDto[];
}

export class RegisteredBankDto {
  @ApiProperty() code: string;
  @ApiProperty() name: string;
  @ApiProperty({ nullable: true, type: String }) webhookUrl: string | null;
  @ApiProperty({ example: 1 }) secrets: number;
  @ApiProperty({ example: 'whsec_...', description: 'The new signing secret, shown once (stored sealed)' }) secret: string;
}
