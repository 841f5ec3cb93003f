import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnService } from '../support/spawn-service';

describe('the service as a process', () => {
  it('starts its own PostgreSQL with no DATABASE_URL, reaches /health/ready, and stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'escrow-embedded-'));
    chmodSync(dir, 0o755);
    const started = Date.now();
    const svc = spawnService({ EMBEDDED_PG_DIR: join(dir, 'postgres'), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' });
    try {
      const base = await svc.ready;
      let status = 0;
      while (status !== 200 && Date.now() - started < 60000) {
        status = await fetch(`${base}/health/ready`).then((r) => r.status).catch(() => 0);
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(200);
      const out = svc.output();
      expect(out).toContain('Database: embedded PostgreSQL');
      expect(out).toContain('Queues:   BullMQ on PostgreSQL');
      expect(out).toMatch(/Admin API key \(shown once, store it now\): esk_/);
      const key = /(esk_[A-Za-z0-9_-]+)/.exec(out)![1];
      const keys = await fetch(`${base}/admin/api-keys`, { headers: { authorization: `Bearer ${key}`, 'x-request-id': 'trace-e2e-1' } });
      expect(keys.status).toBe(200);
      // Every JSON log line of that request carries its id.
      await new Promise((r) => setTimeout(r, 200));
      const lines = svc.output().split('\n').filter((l) => l.startsWith('{') && l.includes('"url":"/admin/api-keys"'));
      expect(lines.length).toBeGreaterThan(0);
      for (const l of lines) expect(JSON.parse(l).requestId).toBe('trace-e2e-1');

      svc.child.kill('SIGTERM');
      expect(await svc.exited).toBe(0);
      expect(svc.output()).toContain('Stopped cleanly.');

      // Second start on the same data: data kept, no new admin key.
      const again = spawnService({ EMBEDDED_PG_DIR: join(dir, 'postgres'), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
      const base2 = await again.ready;
      expect((await fetch(`${base2}/admin/api-keys`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
      expect(again.output()).not.toContain('Admin API key');
      again.child.kill('SIGTERM');
      expect(await again.exited).toBe(0);
    } finally {
      svc.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start on bad configuration and names every bad variable', async () => {
    const svc = spawnService({ PORT: 'eighty', PROCESS_ROLE: 'boss', REDIS_URL: 'http://nope', DATABASE_URL: 'mysql://x' });
    const code = await svc.exited;
    expect(code).toBe(78);
    const out = svc.output();
    for (const name of ['PORT', 'PROCESS_ROLE', 'REDIS_URL', 'DATABASE_URL']) expect(out).toContain(`${name}=`);
    expect(out).toContain('The service did not start.');
  });
});
