import { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

/** Inserts one entity and returns it as stored (defaults and generated id filled in). */
export async function insertEntity<T extends ObjectLiteral>(m: EntityManager, target: EntityTarget<T>, data: Partial<T>): Promise<T> {
  const repo = m.getRepository(target);
  return repo.save(repo.create(data as T));
}

/** Reads one row by id under a row lock (SELECT … FOR UPDATE), for a read-modify-write. */
export function findByIdForUpdate<T extends ObjectLiteral>(m: EntityManager, target: EntityTarget<T>, id: string): Promise<T | null> {
  return m.getRepository(target).createQueryBuilder('row').setLock('pessimistic_write').where('row.id = :id', { id }).getOne();
}
