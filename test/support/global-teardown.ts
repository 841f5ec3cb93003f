import { Client } from 'pg';

export default async function globalTeardown(): Promise<void> {
  const serverUrl = process.env.ESCROW_TEST_SERVER_URL;
  const runId = process.env.ESCROW_TEST_RUN_ID;
  if (serverUrl && runId) {
    const admin = new Client({ connectionString: serverUrl });
    await admin.connect();
    const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${runId}%`]);
    for (const { datname } of rows) {
      await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    }
    await admin.end();
  }
  const embedded = (globalThis as Record<string, unknown>).__ESCROW_EMBEDDED__ as { stop(): Promise<void> } | undefined;
  await embedded?.stop();
}
