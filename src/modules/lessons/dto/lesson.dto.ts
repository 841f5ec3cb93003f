import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsString, IsUUID, Length } from 'class-validator';
import { LessonRow } from '../lessons.repository';
import { IsTimestamp } from '@common/http/date-input';

export class RegisterSessionDto {
  @ApiProperty({ example: 'room-3/2026-11-21T09:00', description: "The institution's own key of the session (idempotency)" }) @IsString() @Length(1, 200) sessionKey: string;
  @ApiProperty({ format: 'uuid' }) @IsUUID() courseId: string;
  @ApiProperty({ example: '2026-11-21T09:00:00+08:00' }) @IsTimestamp() startsAt: string;
  @ApiProperty({ example: '2026-11-21T10:30:00+08:00' }) @IsTimestamp() endsAt: string;
  @ApiProperty({ example: '刘老师' }) @IsString() @Length(1, 100) teacher: string;
  @ApiProperty({ example: '三号教室 / online' }) @IsString() @Length(1, 200) location: string;
  @ApiProperty({ type: [String], description: 'Contract ids of the attendees (1 to 200)' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(200)
  @IsUUID('all', { each: true })
  attendees: string[];
}

export class DisputeDto {
  @ApiProperty({ example: 'My child was absent that day' }) @IsString() @Length(2, 1000) reason: string;
}

export class DecisionDto {
  @ApiProperty({ enum: ['confirm', 'withdraw'] }) @IsIn(['confirm', 'withdraw']) decision: 'confirm' | 'withdraw';
  @ApiProperty() @IsString() @Length(2, 1000) reason: string;
}

export class LessonDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) sessionId: string;
  @ApiProperty({ format: 'uuid' }) contractId: string;
  @ApiProperty({ example: '231.48' }) amount: string;
  @ApiProperty({ enum: ['delivered', 'confirmed', 'disputed', 'withdrawn'] }) state: string;
  @ApiProperty() deliveredOn: string;
  @ApiProperty({ description: 'Deemed confirmed if neither confirmed nor disputed by this working day' }) confirmBy: string;
  @ApiPropertyOptional({ nullable: true, type: String, enum: ['payer', 'deemed', 'regulator'] }) confirmation: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) disputeReason: string | null;
  @ApiProperty() released: boolean;

  static from(l: LessonRow): LessonDto {
    return {
      id: l.id,
      sessionId: l.session_id,
      contractId: l.contract_id,
      amount: l.amount,
      state: l.state,
      deliveredOn: l.delivered_on,
      confirmBy: l.confirm_by,
      confirmation: l.confirmation,
      disputeReason: l.dispute_reason,
      released: l.released_at !== null,
    };
  }
}
