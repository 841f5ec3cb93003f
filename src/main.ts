import 'reflect-metadata';
import { AddressInfo } from 'node:net';
import { createApp } from './bootstrap/create-app';
import { prepareDatabase } from './bootstrap/runtime';
import { ConfigValidationError, loadConfig } from './config/load-config';
import { AppConfig } from './config/app-config';
import { ApiKeysService } from './modules/api-keys/api-keys.service';
import { QueueService } from './infra/queues/queue.service';
import { removeServiceInfo, writeServiceInfo } from './infra/embedded/service-info';

const SHUTDOWN_TIMEOUT_MS = 30_000;
let onFailure: () => Promise<void> | undefined = () => undefined;

function readConfig(): AppConfig {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigValidationError) {
      process.stderr.write(`${err.message}\nThe service did not start.\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const config = readConfig();
  const runtime = await prepareDatabase(config);
  onFailure = () => runtime.embedded?.stop();
  const app = await createApp(config, runtime.db);
  await app.init();

  let firstAdminKey: string | undefined;
  if (runtime.embedded && config.PROCESS_ROLE !== 'worker') {
    const keys = app.get(ApiKeysService);
    if (await keys.isEmpty()) {
      firstAdminKey = (await keys.create({ name: 'first admin (created on first start)', role: 'admin' })).token;
    }
  }

  await app.listen({ port: config.PORT, host: config.HOST });
  const { port } = app.getHttpServer().address() as AddressInfo;
  const host = config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST;
  const base = `http://${host}:${port}`;
  const lines = [
    `escrow-supervision ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (role: ${config.PROCESS_ROLE})`,
    `  API:      ${base}`,
    config.DOCS_ENABLED ? `  Docs:     ${base}/docs   (OpenAPI: ${base}/openapi.json)` : '  Docs:     disabled',
    config.PROCESS_ROLE === 'worker' ? '  Console:  none (worker process)' : `  Console:  ${base}/console   (parents: ${base}/p/<token>, job queues: ${base}/admin/queues)`,
    `  Database: ${runtime.embedded ? `embedded PostgreSQL (${runtime.embedded.dataDir}, port ${runtime.embedded.port})` : 'external PostgreSQL'} ${runtime.db.display}`,
    `  Queues:   ${app.get(QueueService).backendKind === 'redis' ? 'BullMQ on Redis' : 'BullMQ on PostgreSQL (same database)'}`,
  ];
  if (runtime.appliedMigrations.length) lines.push(`  Migrations applied: ${runtime.appliedMigrations.join(', ')}`);
  if (firstAdminKey) {
    lines.push('', `  Admin API key (shown once, store it now): ${firstAdminKey}`, `  Try: curl -H "Authorization: Bearer ${firstAdminKey}" ${base}/admin/api-keys`);
  }
  // Tells `npm run cli` which embedded database (and service) it joins; removed on a clean stop, and
  // recognised as stale by the CLI when this process is gone. Written before the banner, so whoever
  // waits for the banner finds it.
  const embedded = runtime.embedded;
  if (embedded) {
    writeServiceInfo({ pid: process.pid, apiUrl: base, dataDir: embedded.dataDir, databasePort: embedded.port, role: config.PROCESS_ROLE, startedAt: new Date().toISOString() });
  }
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      process.stderr.write(`Second ${signal}: exiting now.\n`);
      process.exit(1);
    }
    stopping = true;
    process.stdout.write(`${signal} received: draining requests and jobs...\n`);
    const force = setTimeout(() => {
      process.stderr.write('Shutdown timed out; exiting.\n');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    force.unref();
    try {
      if (embedded) removeServiceInfo(embedded.dataDir, process.pid);
      await app.close();
      await runtime.embedded?.stop();
      process.stdout.write('Stopped cleanly.\n');
      process.exit(0);
    } catch (err) {
      process.stderr.write(`Shutdown error: ${(err as Error).stack}\n`);
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch(async (err: Error) => {
  process.stderr.write(`Failed to start: ${err.stack ?? err.message}\n`);
  await Promise.resolve(onFailure()).catch(() => undefined);
  process.exit(1);
});
