import { revertMigrations, runMigrations } from '@infra/database/migrator';
import { ALL_MIGRATIONS } from '../../migrations';
import { createTestDatabase, TestDatabase } from '../support/test-db';

describe('migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(() => db.drop());

  const tables = async () =>
    (await db.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`)).map((r) => r.t);

  it('go up on an empty database, down to nothing, and up again', async () => {
    const applied = await runMigrations(db.url);
    expect(applied).toHaveLength(ALL_MIGRATIONS.length);
    expect(await tables()).toEqual(expect.arrayContaining(['api_keys', 'idempotency_keys', 'outbox', 'job_executions']));

    expect(await runMigrations(db.url)).toEqual([]);

    const reverted = await revertMigrations(db.url);
    expect(reverted).toBe(ALL_MIGRATIONS.length);
    expect(await tables()).toEqual(['schema_migrations']);

    expect(await runMigrations(db.url)).toHaveLength(ALL_MIGRATIONS.length);
  });
});
