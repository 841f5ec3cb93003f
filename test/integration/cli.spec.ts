import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, spawnService } from '../support/spawn-service';

// Issue 11: `npm run cli -- keys:create` next to a running `npm start` must use the service's database
// (or say what to pass), never silently create a second, empty one.
describe('the CLI next to a running service', () => {
  it('joins the running service\'s embedded database, refuses an empty data directory, and ignores a stale service file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'escrow-cli-'));
    chmodSync(dir, 0o755);
    const dataDir = join(dir, 'postgres');
    const serviceFile = `${dataDir}.service.json`;
    const svc = spawnService({ EMBEDDED_PG_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
    try {
      const base = await svc.ready;
      const info = JSON.parse(readFileSync(serviceFile, 'utf8'));
      expect(info).toMatchObject({ pid: svc.child.pid, apiUrl: base, dataDir });

      // The key the CLI creates works against the running service: same database.
      const created = await runCli(['keys:create', '--role', 'admin', '--name', 'from the cli'], { EMBEDDED_PG_DIR: dataDir });
      expect(created.code).toBe(0);
      expect(created.stderr).toContain(`Using the database of the running service (pid ${svc.child.pid}, ${base})`);
      const token = /API key \(shown once\): (esk_\S+)/.exec(created.stdout)![1];
      const list = await fetch(`${base}/admin/api-keys`, { headers: { authorization: `Bearer ${token}` } });
      expect(list.status).toBe(200);
      expect(JSON.stringify(await list.json())).toContain('from the cli');

      // A data directory with no database: a clear message, exit 1, and nothing created there.
      const elsewhere = join(dir, 'elsewhere');
      const refused = await runCli(['keys:create', '--role', 'admin'], { EMBEDDED_PG_DIR: elsewhere });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`No database to use: DATABASE_URL is unset and ${elsewhere} holds no embedded PostgreSQL`);
      expect(refused.stderr).toContain('DATABASE_URL=postgres://');
      expect(refused.stderr).toContain('EMBEDDED_PG_DIR=<dir>');
      expect(existsSync(elsewhere)).toBe(false);
      expect(existsSync(`${elsewhere}.credentials.json`)).toBe(false);

      svc.child.kill('SIGTERM');
      expect(await svc.exited).toBe(0);
      expect(existsSync(serviceFile)).toBe(false);

      // A service file left by a process that is gone (SIGKILL) is stale: the CLI starts the stopped
      // database for the command and finds the key created above.
      const gone = spawnSync(process.execPath, ['-e', '']).pid!;
      writeFileSync(serviceFile, JSON.stringify({ ...info, pid: gone }));
      const listed = await runCli(['keys:list'], { EMBEDDED_PG_DIR: dataDir });
      expect(listed.code).toBe(0);
      expect(listed.stderr).toContain(`No service is running on ${dataDir}: started its embedded PostgreSQL for this command only.`);
      expect(listed.stdout).toContain('from the cli');
    } finally {
      svc.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
