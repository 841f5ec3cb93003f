import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { DomainError } from '../errors/domain-error';
import { isTimestamp } from './date-input';

export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page (`nextCursor`); anything else is 400 INVALID_CURSOR' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  cursor?: string;
}

/** What one part of a cursor holds: the keyset column it resumes from. */
export type CursorPart = 'uuid' | 'bigint' | 'timestamp';

const PART_CHECKS: Record<CursorPart, (v: string) => boolean> = {
  uuid: (v) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v),
  bigint: (v) => /^\d{1,19}$/.test(v) && BigInt(v) <= 9223372036854775807n,
  timestamp: (v) => isTimestamp(v),
};

export function encodeCursor(parts: string[]): string {
  return Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');
}

const invalidCursor = () => new DomainError('INVALID_CURSOR', 'cursor is not a cursor this list gave out: pass nextCursor unchanged, or leave it out for the first page', { field: 'cursor' });

/**
 * The parts of a cursor, or null without one (the first page). Anything the list did not give out
 * (garbage, valid base64 of the wrong content, a part that is not what the keyset column holds) is
 * 400 INVALID_CURSOR: silently restarting at the first page would repeat items, and a wrong part
 * reached PostgreSQL as a 500. Give the kind of each part (`['timestamp', 'uuid']`); a bare count
 * accepts any of the known kinds per part.
 */
export function decodeCursor(cursor: string | undefined, shape: number | CursorPart[]): string[] | null {
  if (cursor === undefined || cursor === '') return null;
  const kinds = typeof shape === 'number' ? null : shape;
  const size = kinds ? kinds.length : (shape as number);
  let parts: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalidCursor();
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(parts) || parts.length !== size || !parts.every((p) => typeof p === 'string')) throw invalidCursor();
  const fits = (p: string, i: number) => (kinds ? PART_CHECKS[kinds[i]](p) : Object.values(PART_CHECKS).some((check) => check(p)));
  if (!(parts as string[]).every(fits)) throw invalidCursor();
  return parts as string[];
}
