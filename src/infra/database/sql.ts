/**
 * TypeORM's postgres `query()` returns `[rows, rowCount]` for UPDATE and DELETE and plain
 * rows otherwise. This gives the rows either way.
 */
export function rowsOf<T = Record<string, unknown>>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return (result as T[]) ?? [];
}

/** Rows changed by an UPDATE or DELETE run through TypeORM's `query()`. */
export function rowsAffected(result: unknown): number {
  return Array.isArray(result) && result.length === 2 && typeof result[1] === 'number' ? result[1] : 0;
}
