import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, IsUUID, Length, Matches, MaxLength, ValidateIf } from 'class-validator';
import { ROLES, Role } from '@common/auth/principal';
import { ApiKey } from '../api-keys.repository';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'Pudong education bureau, audit desk' })
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES as unknown as string[])
  role: Role;

  @ApiPropertyOptional({ type: [String], example: ['310115'], description: 'Regulator scope: 6-digit codes' })
  @ValidateIf((o: CreateApiKeyDto) => o.role === 'regulator' || o.districts !== undefined)
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(/^\d{6}$/, { each: true, message: 'each district must be a 6-digit administrative code' })
  districts?: string[];

  @ApiPropertyOptional({ format: 'uuid', description: 'Institution scope' })
  @IsOptional()
  @IsUUID()
  institutionId?: string;

  @ApiPropertyOptional({ example: 'ICBC-SH', description: 'Bank scope' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  bankCode?: string;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ROLES }) role: Role;
  @ApiProperty({ type: [String] }) districts: string[];
  @ApiProperty({ nullable: true, type: String }) institutionId: string | null;
  @ApiProperty({ nullable: true, type: String }) bankCode: string | null;
  @ApiProperty({ description: 'First characters of the key, to recognise it' }) keyPrefix: string;
  @ApiProperty() createdAt: string;
  @ApiProperty({ nullable: true, type: String }) revokedAt: string | null;

  static from(k: ApiKey): ApiKeyDto {
    return {
      id: k.id,
      name: k.name,
      role: k.role,
      districts: k.districts,
      institutionId: k.institutionId,
      bankCode: k.bankCode,
      keyPrefix: k.keyPrefix,
      createdAt: k.createdAt.toISOString(),
      revokedAt: k.revokedAt ? k.revokedAt.toISOString() : null,
    };
  }
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'The secret key. Shown once; only its hash is stored.' })
  apiKey: string;
}
