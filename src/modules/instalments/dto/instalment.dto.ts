import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

export class StopInstalmentsDto {
  @ApiProperty({ example: '孩子不再参加' }) @IsString() @Length(2, 1000) reason: string;
}
