import { QueueName } from '@infra/queues/queue.constants';
import { QueueService } from '@infra/queues/queue.service';
import { eventually, QUEUE_BACKENDS, startTestApp, TestApp } from '../support/test-app';

/** bull-board at /admin/queues around the service's own queue objects, on each queue backend. */
describe.each(QUEUE_BACKENDS)('queue dashboard (bull-board) on %s', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ backend });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is for admins only: no key 401, a regulator 403, an admin gets the page (Bearer header or the console cookie)', async () => {
    expect((await t.request('GET', '/admin/queues', { key: null })).status).toBe(401);
    const regulator = await t.createKey({ role: 'regulator', districts: ['310117'] });
    const denied = await t.request('GET', '/admin/queues/api/queues', { key: regulator });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('FORBIDDEN');
    const page = await t.request('GET', '/admin/queues');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const byCookie = await t.request('GET', '/admin/queues/api/queues', { key: null, headers: { cookie: `esk_queues=${encodeURIComponent(t.adminKey)}` } });
    expect(byCookie.status).toBe(200);
  });

  it('reads the queues, their counts and a failed job, and retries it; nothing else may be changed', async () => {
    const queue = t.app.get(QueueService).queue(QueueName.Maintenance);
    // A job no handler knows fails at once (the worker refuses unknown job names).
    await queue.add('dashboard-test-unknown-job', {}, { jobId: 'dashboard-failed-1', attempts: 1 });
    await eventually(async () => (await queue.getJobState('dashboard-failed-1')) === 'failed');

    const res = await t.request('GET', `/admin/queues/api/queues?activeQueue=${QueueName.Maintenance}&status=failed&page=1&jobsPerPage=10`);
    expect(res.status).toBe(200);
    const names = (res.body.queues as { name: string }[]).map((q) => q.name).sort();
    expect(names).toEqual(Object.values(QueueName).sort());
    const maintenance = (res.body.queues as { name: string; counts: Record<string, number>; jobs: { id: string }[] }[]).find((q) => q.name === QueueName.Maintenance)!;
    expect(maintenance.counts.failed).toBeGreaterThanOrEqual(1);
    expect(maintenance.jobs.map((j) => j.id)).toContain('dashboard-failed-1');

    const firstRun = (await queue.getJob('dashboard-failed-1'))!.processedOn!;
    const retry = await t.request('PUT', `/admin/queues/api/queues/${QueueName.Maintenance}/dashboard-failed-1/retry`, { body: {} });
    expect(retry.status).toBeLessThan(300);
    // Retried: it ran again (and, still unknown, failed again).
    await eventually(async () => ((await queue.getJob('dashboard-failed-1'))?.processedOn ?? 0) > firstRun && (await queue.getJobState('dashboard-failed-1')) === 'failed');

    const refused = await t.request('PUT', `/admin/queues/api/queues/${QueueName.Maintenance}/empty`, { body: {} });
    expect(refused.status).toBe(403);
    expect((await t.request('GET', '/admin/queues/summary')).status).toBe(200);
  });
});
