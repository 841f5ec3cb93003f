import { ApiProperty } from '@nestjs/swagger';

class ErrorDetailDto {
  @ApiProperty({ example: 'VALIDATION_FAILED', description: 'Stable machine-readable code' })
  code: string;

  @ApiProperty({ example: 'Request validation failed' })
  message: string;

  @ApiProperty({ nullable: true, type: Object, description: 'Structured details (violations, limits, ...); always present, null when there is nothing more to say' })
  details: unknown;
}

/** The shape of every error answer. */
export class ErrorBodyDto {
  @ApiProperty({ type: ErrorDetailDto })
  error: ErrorDetailDto;

  @ApiProperty({ example: '3f6c1b7e-0a51-4c55-9b3a-5d1e2f0c9a11' })
  requestId: string;
}
