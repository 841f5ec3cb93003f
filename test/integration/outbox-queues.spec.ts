import { OutboxRelay } from '@infra/outbox/outbox-relay.service';
import { QueueService } from '@infra/queues/queue.service';
import { QueueAdminService } from '@modules/queue-admin/queue-admin.service';
import { JobName } from '@infra/queues/queue.constants';
import { spawnService } from '../support/spawn-service';
import { eventually, QUEUE_BACKENDS, startTestApp, TestApp } from '../support/test-app';

interface Probe {
  id: string;
  attempts: number;
  effects: number;
  processedAt: string | null;
}

describe.each(QUEUE_BACKENDS)('outbox and queues on %s', (backend) => {
  describe('in one process (role all)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ backend });
    });
    afterAll(() => t.close());

    const probe = async (id: string): Promise<Probe> => (await t.request('GET', `/admin/diagnostics/queue-probes/${id}`)).body;

    it('turns a committed outbox row into exactly one job run', async () => {
      const created = await t.request('POST', '/admin/diagnostics/queue-probes', { body: {} });
      expect(created.status).toBe(201);
      const done = await eventually(async () => {
        const p = await probe(created.body.id);
        return p.processedAt ? p : null;
      });
      expect(done.effects).toBe(1);
      expect(done.attempts).toBe(1);
      const outbox = await t.db.query<{ relayed: boolean }>(`SELECT relayed_at IS NOT NULL AS relayed FROM outbox WHERE job_id = $1`, [`probe.${created.body.id}`]);
      expect(outbox).toEqual([{ relayed: true }]);
    });

    it('delivers once when the relay crashed after adding the job but before marking the row', async () => {
      // Simulate the crash: the job is already in the queue, the outbox row still pending.
      const id = '00000000-0000-4000-8000-000000000001';
      await t.db.query(`INSERT INTO queue_probes (id, hold_ms) VALUES ($1, 0)`, [id]);
      await t.app.get(QueueService).add(JobName.QueueProbe, { probeId: id, holdMs: 0 }, `probe.${id}`);
      await t.db.query(`INSERT INTO outbox (queue_name, job_name, job_id, payload) VALUES ('diagnostics', $1, $2, $3)`, [
        JobName.QueueProbe,
        `probe.${id}`,
        JSON.stringify({ probeId: id, holdMs: 0 }),
      ]);
      await eventually(async () => (await t.db.query(`SELECT 1 FROM outbox WHERE job_id = $1 AND relayed_at IS NOT NULL`, [`probe.${id}`])).length === 1);
      await eventually(async () => (await probe(id)).processedAt);
      // Give a duplicate every chance to run, then check it did not.
      await t.app.get(OutboxRelay).relayOnce();
      await new Promise((r) => setTimeout(r, 500));
      const p = await probe(id);
      expect(p.effects).toBe(1);
      expect(p.attempts).toBe(1);
    });

    it('a job that runs twice (duplicate delivery) applies its effect once', async () => {
      const id = '00000000-0000-4000-8000-000000000002';
      await t.db.query(`INSERT INTO queue_probes (id, hold_ms) VALUES ($1, 0)`, [id]);
      const queues = t.app.get(QueueService);
      // Two distinct job ids carrying the same logical job: at-least-once delivery.
      await queues.add(JobName.QueueProbe, { probeId: id, holdMs: 0 }, `probe.${id}.a`);
      await queues.add(JobName.QueueProbe, { probeId: id, holdMs: 0 }, `probe.${id}.b`);
      await eventually(async () => (await probe(id)).attempts === 2);
      expect((await probe(id)).effects).toBe(1);
    });
  });

  it('loses nothing when a worker process is killed mid-job and another takes over', async () => {
    // The API runs in this process; workers are separate real processes we can SIGKILL.
    const t = await startTestApp({ backend, env: { PROCESS_ROLE: 'api' } });
    const workerEnv = {
      ...Object.fromEntries(Object.entries(t.env).filter(([k]) => k !== 'PROCESS_ROLE' && k !== 'LOG_LEVEL')),
      PROCESS_ROLE: 'worker',
      LOG_LEVEL: 'warn',
      QUEUE_LOCK_DURATION_MS: '2000',
      QUEUE_STALLED_INTERVAL_MS: '1000',
    };
    const first = spawnService(workerEnv);
    let second: ReturnType<typeof spawnService> | undefined;
    try {
      await first.ready;
      const created = await t.request('POST', '/admin/diagnostics/queue-probes', { body: { holdMs: 4000 } });
      const id = created.body.id as string;
      const probe = async (): Promise<Probe> => (await t.request('GET', `/admin/diagnostics/queue-probes/${id}`)).body;
      await eventually(async () => (await probe()).attempts === 1, 20000, 50);
      first.child.kill('SIGKILL');
      await first.exited;
      expect((await probe()).effects).toBe(0); // the killed transaction left nothing

      second = spawnService(workerEnv);
      await second.ready;
      const done = await eventually(async () => {
        const p = await probe();
        return p.processedAt ? p : null;
      }, 60000, 200);
      expect(done.effects).toBe(1);
      expect(done.attempts).toBe(2);
    } finally {
      first.child.kill('SIGKILL');
      second?.child.kill('SIGTERM');
      await second?.exited;
      await t.close();
    }
  });
});

describe.each(QUEUE_BACKENDS)('admin queue view on %s', (backend) => {
  it('lists failed jobs with their reason and retries one', async () => {
    const t = await startTestApp({ backend, env: { PROCESS_ROLE: 'worker' } });
    try {
      // A probe whose row does not exist fails on every attempt (the handler finds nothing to update).
      const missing = '00000000-0000-4000-8000-00000000dead';
      await t.app.get(QueueService).add(JobName.QueueProbe, { probeId: missing, holdMs: 0 }, `probe.${missing}`, { attempts: 1 });
      const failed = await eventually(async () => {
        const res = await t.app.get(QueueAdminService).overview();
        const diag = res.find((q) => q.queue === 'diagnostics')!;
        return diag.failed.find((j) => j.id === `probe.${missing}`);
      });
      expect(failed.failedReason).toContain('probe');
      await t.db.query(`INSERT INTO queue_probes (id) VALUES ($1)`, [missing]);
      const retried = await t.app.get(QueueAdminService).retry('diagnostics', `probe.${missing}`);
      expect(['waiting', 'active', 'completed']).toContain(retried.state);
      await eventually(async () => (await t.db.query(`SELECT 1 FROM queue_probes WHERE id = $1 AND effects = 1`, [missing])).length === 1);
    } finally {
      await t.close();
    }
  });
});

describe.each(QUEUE_BACKENDS)('schedules on %s', (backend) => {
  it('a worker with the scheduler on upserts every repeating job, idempotently', async () => {
    const t = await startTestApp({ backend, env: { PROCESS_ROLE: 'worker', SCHEDULER_ENABLED: 'true' } });
    const again = await startTestApp({ backend, db: t.db, env: { PROCESS_ROLE: 'worker', SCHEDULER_ENABLED: 'true', QUEUE_PREFIX: t.env.QUEUE_PREFIX } });
    try {
      const queues = t.app.get(QueueService);
      const ids: string[] = [];
      for (const name of ['maintenance', 'supervision'] as const) {
        const schedulers = await queues.queue(name as never).getJobSchedulers();
        ids.push(...schedulers.map((s) => String(s.key ?? s.id)));
      }
      expect(ids.sort()).toEqual(['alerts-evaluation', 'idempotency-cleanup-daily', 'ledger-day-close', 'outbox-cleanup-daily', 'supervision-daily', 'suspense-aging-daily']);
    } finally {
      await again.close();
      await t.close();
    }
  });
});
