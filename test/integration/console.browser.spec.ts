import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { buildConsoleWorld, ConsoleWorld } from '../support/console-world';
import { spawnService, SpawnedService } from '../support/spawn-service';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * The regulator console and the parent's page in a real browser (Debian's chromium through
 * playwright-core) against a real service process (dist/src/main.js, built by `npm test`).
 * Without /usr/bin/chromium the spec is skipped with a warning, unless REQUIRE_BROWSER=1 (CI sets
 * it: .ci/run installs chromium first), where a missing browser fails.
 * With SCREENSHOTS=<dir> (`npm run screenshots`) it also writes the README's screenshots.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveBrowser = existsSync(CHROMIUM);
const SHOTS = process.env.SCREENSHOTS ?? null;
if (!haveBrowser) {
  if (process.env.REQUIRE_BROWSER === '1') throw new Error(`REQUIRE_BROWSER=1 but there is no browser at ${CHROMIUM} (apt-get install -y chromium)`);
  console.warn(`console.browser.spec: SKIPPED, no browser at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
}
const describeBrowser = haveBrowser ? describe : describe.skip;

/** Written independently of the page's formatter: BigInt cents, grouped by Intl. */
function yuan(s: string): string {
  const neg = s.startsWith('-');
  const [int, frac = ''] = s.replace('-', '').split('.');
  return `${neg ? '-' : ''}${BigInt(int).toLocaleString('en-US')}.${frac.padEnd(2, '0')}`;
}

describeBrowser('console and parent page in a browser (real service process)', () => {
  let t: TestApp;
  let w: ConsoleWorld;
  let svc: SpawnedService;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const api = async (path: string, init: { key?: string | null; method?: string; body?: unknown; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    const key = init.key === undefined ? t.adminKey : init.key;
    if (key) headers.authorization = `Bearer ${key}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${path}`, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const shot = async (p: Page, name: string) => {
    if (!SHOTS) return;
    mkdirSync(SHOTS, { recursive: true });
    await p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  };
  const signIn = async (p: Page, key: string, district = w.district) => {
    await p.goto(`${base}/console`);
    await p.getByLabel('API 密钥（监管或管理员）').fill(key);
    await p.getByLabel('行政区划代码（6 位）').fill(district);
    await p.getByRole('button', { name: '登录' }).click();
  };

  beforeAll(async () => {
    t = await startTestApp();
    w = await buildConsoleWorld(t);
    // The service under test is a real process on the same database; the in-process app only built the world.
    await t.app.close();
    svc = spawnService({ ...t.env, PORT: '0', LOG_LEVEL: 'warn' });
    base = await svc.ready;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // playwright-core gives every launch a new, empty profile directory (its own --user-data-dir).
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    if (svc) {
      svc.child.kill('SIGTERM');
      await svc.exited;
    }
    await t?.db.drop();
  }, 60_000);

  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN', timezoneId: 'America/New_York' });
    page = await context.newPage();
  });
  afterEach(async () => {
    await context.close();
  });

  it('serves the pages with cache headers: HTML no-cache, hashed assets immutable for a year', async () => {
    const html = await fetch(`${base}/console`);
    expect(html.status).toBe(200);
    expect(html.headers.get('cache-control')).toBe('no-cache');
    expect(html.headers.get('content-security-policy')).toContain("default-src 'self'");
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(await html.text())![1];
    const js = await fetch(`${base}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const parent = await fetch(`${base}/p/${w.payerToken}`);
    expect(parent.status).toBe(200);
    expect(parent.headers.get('referrer-policy')).toBe('no-referrer');
    expect((await fetch(`${base}/assets/nope.js`)).status).toBe(404);
  });

  it('a wrong key and a revoked key each get a clear message, never a blank page', async () => {
    await signIn(page, 'esk_wrong_key_for_the_console');
    await expect(page.getByRole('alert').textContent()).resolves.toContain('密钥无效或已被撤销');

    // Signed in, then the key is revoked: the next call ends the session with a message.
    await signIn(page, w.spareRegulatorKey);
    await page.getByRole('heading', { name: /辖区总览/ }).waitFor();
    expect((await api(`/admin/api-keys/${w.spareRegulatorKeyId}/revoke`, { method: 'POST' })).status).toBe(200);
    await page.getByRole('link', { name: '机构' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('您的密钥已失效');
    await signIn(page, w.spareRegulatorKey);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('密钥无效或已被撤销');
  });

  it('signs in with the keyboard alone (labelled fields), and the dashboard totals equal the audit API to the cent', async () => {
    await page.goto(`${base}/console`);
    await page.getByLabel('API 密钥（监管或管理员）').focus();
    await page.keyboard.type(w.regulatorKey);
    await page.keyboard.press('Tab');
    await page.keyboard.type(w.district);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: `辖区总览 · ${w.district}` }).waitFor();

    const audit = (await api(`/audit/districts/${w.district}`, { key: w.regulatorKey })).body;
    const cny = audit.totals.find((x: { currency: string }) => x.currency === 'CNY');
    expect(cny.paidIn).toBe('6325.37');
    const card = page.locator('[data-testid="totals"] [data-currency="CNY"]');
    for (const f of ['obligations', 'paidIn', 'released', 'refunded', 'bankCash', 'suspense']) {
      await expect(card.locator(`[data-total="${f}"]`).textContent()).resolves.toBe(yuan(cny[f]));
    }
    await expect(card.locator('[data-total="paidIn"]').textContent()).resolves.toBe('6,325.37');
    await page.locator('[data-testid="reconciliation"]').waitFor();
    await page.locator('svg.chart').waitFor();
    await expect(page.locator('[data-testid="by-state"]').textContent()).resolves.toContain('正常经营2');
    // Alerts come from another module: either their counts, or a clear "not available".
    const alertsApi = await api(`/alerts?state=open&districtCode=${w.district}`, { key: w.regulatorKey });
    if (alertsApi.status === 404) await page.locator('[data-unavailable="预警"]').waitFor();
    else await page.locator('[data-testid="alerts-by-severity"]').waitFor();
    await shot(page, 'dashboard');

    // English on request, amounts unchanged.
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: `District dashboard · ${w.district}` }).waitFor();
    await expect(card.locator('[data-total="paidIn"]').textContent()).resolves.toBe('6,325.37');
    await page.getByRole('button', { name: '中文' }).click();
  });

  it('an API error shows its message and request id, and the rest of the page still works', async () => {
    await page.route('**/audit/districts/*/daily-flows*', (route) =>
      route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ error: { code: 'INTERNAL_ERROR', message: 'Internal server error', details: null }, requestId: 'req-test-500' }) }),
    );
    await signIn(page, w.regulatorKey);
    const alert = page.getByRole('alert').filter({ hasText: 'req-test-500' });
    await expect(alert.textContent()).resolves.toContain('INTERNAL_ERROR');
    await page.locator('[data-testid="totals"]').waitFor();
  });

  it('freezes an institution’s escrow account from its page: reason, confirmation, result', async () => {
    await signIn(page, w.regulatorKey);
    await page.getByRole('link', { name: '机构' }).click();
    await page.getByRole('searchbox').fill('启明星');
    await page.getByRole('link', { name: w.institutionName }).click();
    await page.getByRole('heading', { name: w.institutionName }).waitFor();
    const row = page.locator(`[data-escrow="${w.escrowId}"]`);
    await expect(row.locator('[data-testid="escrow-state"]').textContent()).resolves.toBe('active');
    await page.locator('table#contracts').waitFor();
    await shot(page, 'institution');

    await row.getByRole('button', { name: '冻结' }).click();
    await row.getByLabel('原因 (冻结)').fill('家长集中投诉，负责人失联');
    await row.getByRole('button', { name: '下一步' }).click();
    await expect(row.getByRole('alertdialog').textContent()).resolves.toContain(w.escrowNumber);
    await row.getByRole('button', { name: '确定' }).click();
    await expect(row.locator('[data-testid="escrow-state"]').filter({ hasText: 'frozen' }).textContent()).resolves.toBe('frozen');
    const account = await api(`/escrow-accounts/${w.escrowId}`, { key: w.regulatorKey });
    expect(account.body.state).toBe('frozen');
    expect(JSON.stringify(account.body.history)).toContain('家长集中投诉，负责人失联');
  });

  it('resolves an alert from the work queue (reason, confirmation, result), and the API agrees', async () => {
    // The world's institution holds less than the policy's balance floor: the evaluation opens an alert.
    expect((await api('/admin/alerts/evaluation-run', { method: 'POST', body: {} })).status).toBe(200);
    const alerts = await api(`/alerts?state=open&districtCode=${w.district}`, { key: w.regulatorKey });
    expect(alerts.status).toBe(200);
    const open = alerts.body.items[0];
    expect(open).toBeDefined();
    await signIn(page, w.regulatorKey);
    await page.getByRole('link', { name: '待办事项' }).click();
    const row = page.locator(`[data-alert="${open.id}"]`);
    await row.getByRole('button', { name: '解决' }).click();
    await row.getByLabel('原因 (解决)').fill('已约谈机构负责人');
    await row.getByRole('button', { name: '下一步' }).click();
    await row.getByRole('button', { name: '确定' }).click();
    await page.getByRole('status').filter({ hasText: '已完成' }).first().waitFor();
    const after = await api(`/alerts?districtCode=${w.district}`, { key: w.regulatorKey });
    const resolved = after.body.items.find((a: { id: string }) => a.id === open.id);
    expect(resolved).toMatchObject({ state: 'resolved', resolveReason: '已约谈机构负责人' });
  });

  it('work queues: a disputed lesson decided with the keyboard alone (reason, confirmation, result); a shown table exports as CSV', async () => {
    await signIn(page, w.regulatorKey);
    await page.getByRole('link', { name: '待办事项' }).click();
    const row = page.locator('table#disputed-lessons tbody tr').filter({ hasText: '孩子那天请假' });
    await row.getByRole('button', { name: '裁定有效（拨付）' }).focus();
    await page.keyboard.press('Enter');
    await row.getByLabel('原因 (裁定有效（拨付）)').and(page.locator(':focus')).waitFor(); // the reason field has the focus
    await page.keyboard.type('家长已补交签到记录');
    await page.keyboard.press('Control+Enter'); // next: the confirmation, whose button has the focus
    await row.getByRole('button', { name: '确定' }).and(page.locator(':focus')).waitFor();
    await page.keyboard.press('Enter');
    await expect(page.locator('[data-testid="notice"]').textContent()).resolves.toContain('裁定有效（拨付）');
    await page.locator('table#disputed-lessons').getByText('暂无').waitFor();
    const lessons = (await api(`/contracts/${w.contractId}/lessons`, { key: w.regulatorKey })).body as { id: string; state: string; confirmation: string }[];
    expect(lessons.find((l) => l.id === w.disputedLessonId)).toMatchObject({ state: 'confirmed', confirmation: 'regulator' });

    const refunds = page.locator('table#contested-refunds tbody tr');
    await refunds.first().waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('section[aria-label="有争议的退费"]').getByRole('button', { name: '导出 CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`contested-refunds-${w.district}.csv`);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.split('\r\n')[0]).toBe('\ufeff机构,金额,原因,机构异议,');
    expect(csv).toContain(`${w.institutionName},2247.94,搬家转学,已上课时有争议,`);
  });

  it('a parent on a phone confirms a lesson and asks for a refund after seeing the computed amount', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' });
    const p = await phone.newPage();
    const payer = { key: null, headers: { 'payer-token': w.payerToken } };
    const before = (await api('/payer/contract', payer)).body;
    await p.goto(`${base}/p/${w.payerToken}`);
    await expect(p.locator('[data-testid="held"]').textContent()).resolves.toBe(`¥${yuan(before.funds.held)}`);
    const pending = p.locator(`[data-lesson="${w.pendingLessonId}"]`);
    await shot(p, 'parent');
    await pending.getByRole('button', { name: '确认已上课' }).click();
    await p.getByRole('status').filter({ hasText: '已确认' }).waitFor();
    const lessons = (await api('/payer/contract', payer)).body.lessons as { id: string; state: string }[];
    expect(lessons.find((l) => l.id === w.pendingLessonId)!.state).toBe('confirmed');

    const quote = (await api('/payer/refunds', payer)).body.quote;
    await expect(p.locator('[data-testid="refund-quote"]').textContent()).resolves.toBe(`¥${yuan(quote.refund)}`);
    await p.getByRole('button', { name: '申请退款' }).click();
    await p.getByLabel('退款原因').fill('孩子转学');
    await p.getByRole('button', { name: `确认申请退款 ¥${yuan(quote.refund)}` }).click();
    await p.getByRole('status').filter({ hasText: '退款申请已提交' }).waitFor();
    const refunds = (await api('/payer/refunds', payer)).body.refunds as { state: string; computation: { refund: string } }[];
    expect(refunds).toEqual([expect.objectContaining({ state: 'requested', computation: expect.objectContaining({ refund: quote.refund }) })]);
    // Nothing on the page is wider than the phone.
    expect(await p.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await phone.close();
  });

  it('an expired or revoked payer link, and an API error, each show a clear message on the parent page', async () => {
    const p = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await p.goto(`${base}/p/${w.revokedPayerToken}`);
    await expect(p.getByRole('alert').textContent()).resolves.toContain('这个链接已失效');
    await p.route('**/payer/contract', (route) =>
      route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'SERVICE_UNAVAILABLE', message: 'Database unavailable', details: null }, requestId: 'req-parent-503' }) }),
    );
    await p.goto(`${base}/p/${w.payerToken}`);
    await expect(p.getByRole('alert').textContent()).resolves.toBe('出错了：Database unavailable（编号 req-parent-503）。请稍后再试。');
    await p.close();
  });
});
