import { bankOf, eligibleInstitution, ensureBank, institutionBody } from '../support/register-fixtures';
import { Clock } from '@common/clock';
import { startTestApp, TestApp } from '../support/test-app';

describe('the regulator register', () => {
  let t: TestApp;
  let yangpu1: string;
  let yangpu2: string;
  let pudong: string;
  let shanghai: string;
  beforeAll(async () => {
    t = await startTestApp({ env: { PROCESS_ROLE: 'api' } });
    // Eligibility depends on today's date: pin it so the suite means the same every day.
    t.app.get(Clock).travelTo(new Date('2026-11-22T04:00:00Z'));
    yangpu1 = await t.createKey({ role: 'regulator', districts: ['310117'], name: 'Songjiang reviewer A' });
    yangpu2 = await t.createKey({ role: 'regulator', districts: ['310117'], name: 'Songjiang reviewer B' });
    pudong = await t.createKey({ role: 'regulator', districts: ['310115'] });
    shanghai = await t.createKey({ role: 'regulator', districts: ['310000'] });
    await ensureBank(t, 'BOC-SH');
  });
  afterAll(() => t.close());

  describe('institutions', () => {
    it('registers with a valid credit code, masks the phone, and keeps history', async () => {
      const res = await t.request('POST', '/institutions', { key: yangpu1, body: institutionBody() });
      expect(res.status).toBe(201);
      expect(res.body.contactPhone).toBe('138****5678');
      const history = await t.request('GET', `/institutions/${res.body.id}/history`, { key: yangpu1 });
      expect(history.body).toHaveLength(1);
      expect(history.body[0].changeType).toBe('registered');
    });

    it('400 INVALID_USCC for a wrong check character, and nothing is stored', async () => {
      const before = await t.db.query<{ n: string }>(`SELECT count(*)::text n FROM institutions`);
      const res = await t.request('POST', '/institutions', { key: yangpu1, body: institutionBody('310117', { uscc: '91440300708461136U' }) });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('INVALID_USCC');
      expect((await t.db.query<{ n: string }>(`SELECT count(*)::text n FROM institutions`))[0].n).toBe(before[0].n);
    });

    it('409 for a duplicate credit code', async () => {
      const body = institutionBody();
      expect((await t.request('POST', '/institutions', { key: yangpu1, body })).status).toBe(201);
      const dup = await t.request('POST', '/institutions', { key: yangpu1, body: { ...body, name: 'Another name' } });
      expect(dup.status).toBe(409);
      expect(dup.body.error.code).toBe('INSTITUTION_ALREADY_REGISTERED');
    });

    it('a regulator registers only inside its districts (404 outside them); a city or province code covers its districts', async () => {
      const before = await t.db.query<{ n: string }>(`SELECT count(*)::text n FROM institutions`);
      const out = await t.request('POST', '/institutions', { key: pudong, body: institutionBody('310117') });
      expect(out.status).toBe(404);
      expect(out.body.error.code).toBe('DISTRICT_NOT_FOUND');
      expect((await t.db.query<{ n: string }>(`SELECT count(*)::text n FROM institutions`))[0].n).toBe(before[0].n);
      expect((await t.request('POST', '/institutions', { key: shanghai, body: institutionBody('310117') })).status).toBe(201);
    });

    it('a regulator of another district cannot see or change an institution (404)', async () => {
      const inst = (await t.request('POST', '/institutions', { key: yangpu1, body: institutionBody() })).body;
      for (const [method, path, body] of [
        ['GET', `/institutions/${inst.id}`, undefined],
        ['PATCH', `/institutions/${inst.id}`, { address: 'elsewhere' }],
        ['GET', `/institutions/${inst.id}/eligibility`, undefined],
        ['POST', `/institutions/${inst.id}/licences`, undefined],
        ['POST', `/institutions/${inst.id}/escrow-accounts`, { bankCode: 'X1', accountNumber: '123456', accountName: 'xx', mode: 'full_custody', agreementReference: 'A1' }],
      ] as const) {
        const res = await t.request(method, path, { key: pudong, body });
        expect([method, path, res.status, res.body.error?.code]).toEqual([method, path, 404, 'INSTITUTION_NOT_FOUND']);
      }
      const list = await t.request('GET', '/institutions', { key: pudong });
      expect(list.body.items.map((i: { id: string }) => i.id)).not.toContain(inst.id);
      expect((await t.request('GET', `/institutions/${inst.id}`, { key: shanghai })).status).toBe(200);
    });

    it('an institution key sees only itself; a bank key sees none', async () => {
      const mine = (await t.request('POST', '/institutions', { key: yangpu1, body: institutionBody() })).body;
      const other = (await t.request('POST', '/institutions', { key: yangpu1, body: institutionBody() })).body;
      const own = await t.createKey({ role: 'institution', institutionId: mine.id });
      expect((await t.request('GET', `/institutions/${mine.id}`, { key: own })).status).toBe(200);
      expect((await t.request('GET', `/institutions/${other.id}`, { key: own })).status).toBe(404);
      expect((await t.request('GET', '/institutions', { key: own })).body.items.map((i: { id: string }) => i.id)).toEqual([mine.id]);
      expect((await t.request('PATCH', `/institutions/${mine.id}`, { key: own, body: { address: 'x' } })).status).toBe(403);
      const bank = await t.createKey({ role: 'bank', bankCode: 'ICBC-SH' });
      expect((await t.request('GET', `/institutions/${mine.id}`, { key: bank })).status).toBe(403);
    });

    it('records a change of legal representative as history and a supervision event', async () => {
      const inst = (await t.request('POST', '/institutions', { key: yangpu1, body: institutionBody() })).body;
      const res = await t.request('PATCH', `/institutions/${inst.id}`, { key: yangpu1, body: { legalRepresentative: '王五', address: '新地址 1 号' } });
      expect(res.status).toBe(200);
      const history = (await t.request('GET', `/institutions/${inst.id}/history`, { key: yangpu1 })).body;
      expect(history[1]).toMatchObject({ changeType: 'updated', before: { legalRepresentative: '张三' }, after: { legalRepresentative: '王五' } });
      const events = (await t.request('GET', `/supervision-events?institutionId=${inst.id}`, { key: yangpu1 })).body.items;
      expect(events.map((e: { type: string }) => e.type)).toEqual(['LEGAL_REPRESENTATIVE_CHANGED']);
      expect((await t.request('GET', `/supervision-events?institutionId=${inst.id}`, { key: pudong })).body.items).toEqual([]);
      // The history is evidence: the database refuses to rewrite it.
      await expect(t.db.query(`UPDATE institution_history SET changed_by = NULL WHERE institution_id = $1`, [inst.id])).rejects.toThrow(/append-only/);
    });
  });

  describe('licences and joint review', () => {
    const newLicence = async () => {
      const inst = (await t.request('POST', '/institutions', { key: yangpu1, body: institutionBody() })).body;
      const licence = (await t.request('POST', `/institutions/${inst.id}/licences`, { key: yangpu1 })).body;
      return { inst, licence };
    };
    const review = (id: string, key = yangpu1) =>
      t.request('POST', `/licences/${id}/review`, { key, body: { licenceNumber: `L-${id}`, validFrom: '2026-01-01', validTo: '2028-12-31' } });

    it('needs two distinct regulators; one person cannot approve twice', async () => {
      const { licence } = await newLicence();
      expect((await review(licence.id)).body.state).toBe('under_review');
      const first = await t.request('POST', `/licences/${licence.id}/approvals`, { key: yangpu1, body: { comment: 'ok' } });
      expect(first.body).toMatchObject({ approvals: 1, required: 2, licence: { state: 'under_review' } });
      const again = await t.request('POST', `/licences/${licence.id}/approvals`, { key: yangpu1, body: {} });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('DUPLICATE_APPROVAL');
      const second = await t.request('POST', `/licences/${licence.id}/approvals`, { key: yangpu2, body: {} });
      expect(second.body).toMatchObject({ approvals: 2, required: 2, licence: { state: 'active' } });
      const full = (await t.request('GET', `/licences/${licence.id}`, { key: yangpu1 })).body;
      expect(full.approvals).toHaveLength(2);
      expect(full.transitions.map((x: { to: string }) => x.to)).toEqual(['applied', 'under_review', 'active']);
    });

    it('a district configured for one approval activates with one reviewer', async () => {
      const single = await t.createKey({ role: 'regulator', districts: ['310118'] });
      expect((await t.request('PUT', '/districts/310118/review-settings', { key: single, body: { requiredApprovals: 1 } })).status).toBe(200);
      const inst = (await t.request('POST', '/institutions', { key: single, body: institutionBody('310118') })).body;
      const licence = (await t.request('POST', `/institutions/${inst.id}/licences`, { key: single })).body;
      await review(licence.id, single);
      const res = await t.request('POST', `/licences/${licence.id}/approvals`, { key: single, body: {} });
      expect(res.body).toMatchObject({ approvals: 1, required: 1, licence: { state: 'active' } });
    });

    it('walks suspend, reinstate, revoke, and refuses transitions outside the table', async () => {
      const { licence } = await newLicence();
      const bad = await t.request('POST', `/licences/${licence.id}/suspend`, { key: yangpu1, body: { reason: 'too early' } });
      expect(bad.status).toBe(409);
      expect(bad.body.error).toMatchObject({ code: 'INVALID_LICENCE_TRANSITION', details: { state: 'applied', allowed: ['start_review'] } });
      await review(licence.id);
      await t.request('POST', `/licences/${licence.id}/approvals`, { key: yangpu1, body: {} });
      await t.request('POST', `/licences/${licence.id}/approvals`, { key: yangpu2, body: {} });
      expect((await t.request('POST', `/licences/${licence.id}/suspend`, { key: yangpu1, body: { reason: 'complaints', until: '2027-01-31' } })).body.state).toBe('suspended');
      expect((await t.request('POST', `/licences/${licence.id}/reinstate`, { key: yangpu1, body: {} })).body.state).toBe('active');
      expect((await t.request('POST', `/licences/${licence.id}/revoke`, { key: yangpu1, body: { reason: 'fraud' } })).body.state).toBe('revoked');
      const after = await t.request('POST', `/licences/${licence.id}/reinstate`, { key: yangpu1, body: {} });
      expect(after.status).toBe(409);
    });

    it('rejection is final; renewal opens the next period and supersedes the old licence', async () => {
      const { licence } = await newLicence();
      await review(licence.id);
      expect((await t.request('POST', `/licences/${licence.id}/reject`, { key: yangpu1, body: { reason: 'incomplete' } })).body.state).toBe('rejected');
      expect((await t.request('POST', `/licences/${licence.id}/renew`, { key: yangpu1 })).status).toBe(409);

      const { inst, licence: l2 } = await newLicence();
      await review(l2.id);
      await t.request('POST', `/licences/${l2.id}/approvals`, { key: yangpu1, body: {} });
      await t.request('POST', `/licences/${l2.id}/approvals`, { key: yangpu2, body: {} });
      const renewal = await t.request('POST', `/licences/${l2.id}/renew`, { key: yangpu1 });
      expect(renewal.status).toBe(201);
      expect(renewal.body).toMatchObject({ state: 'applied', previousLicenceId: l2.id });
      await t.request('POST', `/licences/${renewal.body.id}/review`, { key: yangpu1, body: { licenceNumber: `R-${l2.id}`, validFrom: '2029-01-01', validTo: '2031-12-31' } });
      await t.request('POST', `/licences/${renewal.body.id}/approvals`, { key: yangpu1, body: {} });
      await t.request('POST', `/licences/${renewal.body.id}/approvals`, { key: yangpu2, body: {} });
      const list = (await t.request('GET', `/institutions/${inst.id}/licences`, { key: yangpu1 })).body;
      expect(list.map((l: { state: string }) => l.state)).toEqual(['expired', 'active']);
      // The old licence left through the state machine, with the transition on record.
      const old = (await t.request('GET', `/licences/${l2.id}`, { key: yangpu1 })).body;
      expect(old.transitions[old.transitions.length - 1]).toMatchObject({ action: 'supersede', from: 'active', to: 'expired', reason: `superseded by renewal ${renewal.body.id}` });
    });
  });

  describe('eligibility', () => {
    it('is eligible with licence, inspection and escrow; each missing piece is a reason', async () => {
      const { inst, escrow } = await eligibleInstitution(t, [yangpu1, yangpu2]);
      const ok = await t.request('GET', `/institutions/${inst.id}/eligibility`, { key: yangpu1 });
      expect(ok.body).toMatchObject({ eligible: true, reasons: [] });

      const freeze = await t.request('POST', `/escrow-accounts/${escrow.id}/freeze`, { key: yangpu1, body: { reason: 'risk alert' } });
      expect(freeze.body.state).toBe('frozen');
      const frozen = await t.request('GET', `/institutions/${inst.id}/eligibility`, { key: yangpu1 });
      expect(frozen.body.reasons.map((r: { code: string }) => r.code)).toEqual(['ESCROW_FROZEN']);
      await t.request('POST', `/escrow-accounts/${escrow.id}/unfreeze`, { key: yangpu1, body: { reason: 'resolved' } });
      const audited = (await t.request('GET', `/escrow-accounts/${escrow.id}`, { key: yangpu1 })).body;
      expect(audited.history.map((h: { action: string }) => h.action)).toEqual(['filed', 'freeze', 'unfreeze']);
      const freezeAgain = await t.request('POST', `/escrow-accounts/${escrow.id}/unfreeze`, { key: yangpu1, body: { reason: 'twice' } });
      expect(freezeAgain.body.error.code).toBe('INVALID_ESCROW_TRANSITION');

      await t.request('POST', `/institutions/${inst.id}/inspections`, {
        key: yangpu1,
        body: { year: 2026, result: 'fail', findings: 'Fees collected into a personal account', fundSupervisionFindings: 'not fully supervised', inspector: '赵六', inspectedOn: '2026-10-10' },
      });
      await t.request('POST', `/institutions/${inst.id}/closing`, { key: yangpu1, body: { reason: 'lease ends', plannedClosureDate: '2027-02-28' } });
      const blocked = await t.request('GET', `/institutions/${inst.id}/eligibility`, { key: yangpu1 });
      expect(blocked.body.eligible).toBe(false);
      expect(blocked.body.reasons.map((r: { code: string }) => r.code)).toEqual(['INSPECTION_FAILED', 'INSTITUTION_CLOSING']);
    });

    it('a new institution lists no licence and no escrow account', async () => {
      const inst = (await t.request('POST', '/institutions', { key: yangpu1, body: institutionBody() })).body;
      const res = await t.request('GET', `/institutions/${inst.id}/eligibility`, { key: yangpu1 });
      expect(res.body.reasons.map((r: { code: string }) => r.code)).toEqual(['LICENCE_NOT_ACTIVE', 'NO_ACTIVE_ESCROW_ACCOUNT']);
    });

    it('an escrow account at a bank that is not registered is 422 UNKNOWN_BANK and nothing is filed', async () => {
      const inst = (await t.request('POST', '/institutions', { key: yangpu1, body: institutionBody() })).body;
      const res = await t.request('POST', `/institutions/${inst.id}/escrow-accounts`, {
        key: yangpu1,
        body: { bankCode: 'NO-SUCH-BANK', accountNumber: `U${inst.uscc}`, accountName: 'nn', mode: 'full_custody', agreementReference: 'AU' },
      });
      expect([res.status, res.body.error.code, res.body.error.details]).toEqual([422, 'UNKNOWN_BANK', { field: 'bankCode', bankCode: 'NO-SUCH-BANK' }]);
      expect((await t.request('GET', `/institutions/${inst.id}/escrow-accounts`, { key: yangpu1 })).body).toEqual([]);
    });

    it('at most one current escrow account; a risk reserve needs its amount as a decimal string', async () => {
      const { inst } = await eligibleInstitution(t, [yangpu1, yangpu2]);
      const second = await t.request('POST', `/institutions/${inst.id}/escrow-accounts`, {
        key: yangpu1,
        body: { bankCode: 'BOC-SH', accountNumber: `X${inst.uscc}`, accountName: 'nn', mode: 'full_custody', agreementReference: 'A2' },
      });
      expect(second.status).toBe(409);
      expect(second.body.error.code).toBe('ACTIVE_ESCROW_ACCOUNT_EXISTS');
      const other = (await t.request('POST', '/institutions', { key: yangpu1, body: institutionBody() })).body;
      const numeric = await t.request('POST', `/institutions/${other.id}/escrow-accounts`, {
        key: yangpu1,
        body: { bankCode: 'BOC-SH', accountNumber: `R${other.uscc}`, accountName: 'nn', mode: 'risk_reserve', requiredReserve: 300000, agreementReference: 'A3' },
      });
      expect(numeric.status).toBe(400);
      expect(numeric.body.error.code).toBe('INVALID_AMOUNT');
      const good = await t.request('POST', `/institutions/${other.id}/escrow-accounts`, {
        key: yangpu1,
        body: { bankCode: 'BOC-SH', accountNumber: `R${other.uscc}`, accountName: 'nn', mode: 'risk_reserve', requiredReserve: '300000.00', agreementReference: 'A3' },
      });
      expect(good.status).toBe(201);
      expect(good.body.requiredReserve).toBe('300000.00');
    });
  });

  describe('daily supervision job', () => {
    it('expires licences, warns before expiry and flags overdue inspections, once even when run twice', async () => {
      const { inst: expiring } = await eligibleInstitution(t, [yangpu1, yangpu2]);
      const { inst: expired } = await eligibleInstitution(t, [yangpu1, yangpu2]);
      await t.db.query(`UPDATE licences SET valid_to = '2026-12-10' WHERE institution_id = $1`, [expiring.id]);
      await t.db.query(`UPDATE licences SET valid_to = '2026-11-20', valid_from = '2025-06-01' WHERE institution_id = $1`, [expired.id]);

      const run = () => t.request('POST', '/admin/supervision/daily-run', { body: { today: '2026-11-22' } });
      const first = await run();
      expect(first.status).toBe(200);
      const [second, third] = await Promise.all([run(), run()]);
      expect(second.body.newEvents).toBe(0);
      expect(third.body.newEvents).toBe(0);

      const typesFor = async (id: string) =>
        (await t.db.query<{ type: string }>(`SELECT type FROM supervision_events WHERE institution_id = $1 ORDER BY type`, [id])).map((r) => r.type);
      expect(await typesFor(expiring.id)).toEqual(['LICENCE_EXPIRING']);
      expect(await typesFor(expired.id)).toEqual(['INSPECTION_OVERDUE', 'LICENCE_EXPIRED']);
      const licences = (await t.request('GET', `/institutions/${expired.id}/licences`, { key: yangpu1 })).body;
      expect(licences[0].state).toBe('expired');
      // Expired through the licence state machine: one recorded transition, by the system.
      const detail = (await t.request('GET', `/licences/${licences[0].id}`, { key: yangpu1 })).body;
      expect(detail.stateReason).toBe('validity ended');
      expect(detail.transitions.filter((x: { action: string }) => x.action === 'expire')).toEqual([
        expect.objectContaining({ action: 'expire', from: 'active', to: 'expired', actorId: null, reason: 'validity ended 2026-11-20' }),
      ]);
      const elig = (await t.request('GET', `/institutions/${expired.id}/eligibility`, { key: yangpu1 })).body;
      expect(elig.reasons.map((r: { code: string }) => r.code)).toContain('LICENCE_EXPIRED');
      // One due-date rule: the job's event and the eligibility answer name the same day.
      const [overdue] = await t.db.query<{ details: { dueOn: string } }>(`SELECT details FROM supervision_events WHERE institution_id = $1 AND type = 'INSPECTION_OVERDUE'`, [expired.id]);
      expect(overdue.details.dueOn).toBe('2026-06-01');
      expect(elig.inspectionDueOn).toBe('2026-06-01');
      expect(elig.reasons.find((r: { code: string }) => r.code === 'INSPECTION_OVERDUE').details).toEqual({ dueOn: '2026-06-01' });
      const events = (await t.request('GET', '/supervision-events?type=LICENCE_EXPIRED', { key: yangpu1 })).body.items;
      expect(events.some((e: { institutionId: string }) => e.institutionId === expired.id)).toBe(true);
      expect((await t.request('GET', '/supervision-events?type=LICENCE_EXPIRED', { key: pudong })).body.items).toEqual([]);
    });
  });

  describe('daily supervision and the licence state machine', () => {
    it('does not expire a suspended licence (the state machine expires active ones only)', async () => {
      const { inst, licence } = await eligibleInstitution(t, [yangpu1, yangpu2]);
      await t.request('POST', `/licences/${licence.id}/suspend`, { key: yangpu1, body: { reason: 'complaints' } });
      await t.db.query(`UPDATE licences SET valid_to = '2026-11-01' WHERE institution_id = $1`, [inst.id]);
      expect((await t.request('POST', '/admin/supervision/daily-run', { body: { today: '2026-11-22' } })).status).toBe(200);
      const after = (await t.request('GET', `/licences/${licence.id}`, { key: yangpu1 })).body;
      expect(after.state).toBe('suspended');
      expect(after.transitions.map((x: { action: string }) => x.action)).not.toContain('expire');
    });
  });

  describe('one scope rule: outside one\'s districts is 404, never 403', () => {
    it('review settings of another district', async () => {
      const res = await t.request('PUT', '/districts/310117/review-settings', { key: pudong, body: { requiredApprovals: 1 } });
      expect([res.status, res.body.error.code]).toEqual([404, 'DISTRICT_NOT_FOUND']);
      expect(await t.db.query(`SELECT 1 FROM district_review_settings WHERE district_code = '310117'`)).toEqual([]);
      // A district regulator does not cover its city either.
      expect((await t.request('PUT', '/districts/310100/review-settings', { key: yangpu1, body: { requiredApprovals: 1 } })).status).toBe(404);
    });

    it('policies of another district, of the city above and the national default', async () => {
      const rules = (await t.request('GET', '/policies/resolve?district=310117', { key: yangpu1 })).body.rules;
      for (const [key, code] of [
        [pudong, '310117'],
        [yangpu1, '310100'],
        [shanghai, '000000'],
      ] as const) {
        const res = await t.request('POST', '/policies', { key, body: { code, effectiveFrom: '2027-01-01', rules } });
        expect([code, res.status, res.body.error?.code]).toEqual([code, 404, 'DISTRICT_NOT_FOUND']);
      }
      expect(await t.db.query(`SELECT 1 FROM jurisdiction_policies WHERE code IN ('310117', '310100')`)).toEqual([]);
    });

    it('the audit of another district or of the city above', async () => {
      for (const [key, code] of [
        [pudong, '310117'],
        [yangpu1, '310100'],
      ] as const) {
        const res = await t.request('GET', `/audit/districts/${code}`, { key });
        expect([code, res.status, res.body.error?.code]).toEqual([code, 404, 'DISTRICT_NOT_FOUND']);
      }
      expect((await t.request('GET', '/audit/districts/310100', { key: shanghai })).status).toBe(200);
    });

    it('documents 404 (and no DISTRICT_OUT_OF_SCOPE) on those operations', async () => {
      const doc = (await t.request('GET', '/openapi.json', { key: null })).body;
      expect(JSON.stringify(doc)).not.toContain('DISTRICT_OUT_OF_SCOPE');
      for (const [path, method] of [
        ['/institutions', 'post'],
        ['/districts/{code}/review-settings', 'put'],
        ['/policies', 'post'],
        ['/audit/districts/{code}', 'get'],
      ]) {
        const op = doc.paths[path][method];
        expect([path, op.responses['404']?.description]).toEqual([path, expect.stringContaining('DISTRICT_NOT_FOUND')]);
        expect([path, op.responses['403']?.description ?? '']).toEqual([path, expect.not.stringContaining('DISTRICT')]);
      }
    });
  });

  describe('policies', () => {
    const rulesNow = async () => (await t.request('GET', '/policies/resolve?district=310117', { key: yangpu1 })).body.rules;
    const versionsOf = async (code: string) => (await t.request('GET', `/policies/${code}/versions`, { key: yangpu1 })).body.length;

    it('refuses an effectiveFrom in the past (history of what was in force never changes); today is fine', async () => {
      const rules = await rulesNow();
      const before = await versionsOf('310117');
      const past = await t.request('POST', '/policies', { key: yangpu1, body: { code: '310117', effectiveFrom: '2026-11-21', rules } });
      expect(past.status).toBe(422);
      expect(past.body.error).toMatchObject({ code: 'POLICY_EFFECTIVE_IN_PAST', details: { effectiveFrom: '2026-11-21', today: '2026-11-22' } });
      expect(await versionsOf('310117')).toBe(before);
      const today = await t.request('POST', '/policies', { key: yangpu1, body: { code: '310117', effectiveFrom: '2026-11-22', rules } });
      expect(today.status).toBe(201);
      expect(await versionsOf('310117')).toBe(before + 1);
    });

    it.each([
      ['maxSinglePaymentNonSubject', (r: any) => ({ ...r, maxSinglePaymentNonSubject: '12.345' }), 'rules.maxSinglePaymentNonSubject must have at most 2 decimals'],
      ['a price cap', (r: any) => ({ ...r, priceCaps: [{ ...r.priceCaps[0], maxPricePerHour: '0.00' }] }), 'rules.priceCaps.0.maxPricePerHour must be more than zero'],
      ['an alert floor', (r: any) => ({ ...r, alerts: { ...r.alerts, balanceFloor: '-1.00' } }), 'rules.alerts.balanceFloor must not be negative'],
      ['a JSON number', (r: any) => ({ ...r, alerts: { ...r.alerts, dailyOutflow: 1000 } }), 'rules.alerts.dailyOutflow must be a decimal string'],
    ])('answers 400 INVALID_AMOUNT naming the field for a bad amount in %s', async (_name, change, message) => {
      const rules = change(await rulesNow());
      const res = await t.request('POST', '/policies', { key: yangpu1, body: { code: '310117', effectiveFrom: '2027-06-01', rules } });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('INVALID_AMOUNT');
      expect(res.body.error.message).toContain(message);
    });
  });

  describe('amounts on the register', () => {
    it('refuses a zero course price and a negative reserve with 400 INVALID_AMOUNT; a JPY reserve has no decimals', async () => {
      const inst = (await t.request('POST', '/institutions', { key: yangpu1, body: institutionBody() })).body;
      const course = await t.request('POST', `/institutions/${inst.id}/courses`, {
        body: { name: 'c', category: 'subject', kind: 'lesson_pack', lessonMinutes: 60, classSizeBand: 'large', listPricePerLesson: '0.00' },
      });
      expect([course.status, course.body.error.code, course.body.error.message]).toEqual([400, 'INVALID_AMOUNT', 'listPricePerLesson must be more than zero']);
      const file = (requiredReserve: string, currency = 'CNY') =>
        t.request('POST', `/institutions/${inst.id}/escrow-accounts`, {
          key: yangpu1,
          body: { bankCode: 'BOC-SH', accountNumber: `J${inst.uscc}`, accountName: 'nn', currency, mode: 'risk_reserve', requiredReserve, agreementReference: 'A9' },
        });
      const negative = await file('-1.00');
      expect([negative.status, negative.body.error.code, negative.body.error.details.fields]).toEqual([400, 'INVALID_AMOUNT', ['requiredReserve']]);
      expect((await file('300000.50', 'JPY')).body.error.message).toBe('requiredReserve must be a whole number of JPY');
      const jpy = await file('300000', 'JPY');
      expect(jpy.status).toBe(201);
      expect(jpy.body).toMatchObject({ currency: 'JPY', requiredReserve: '300000' });
    });
  });

  describe('escrow audit per currency', () => {
    it('sums each currency apart (an institution with CNY and HKD shows both), JPY without decimals, CSV too', async () => {
      const r1 = await t.createKey({ role: 'regulator', districts: ['310120'] });
      const r2 = await t.createKey({ role: 'regulator', districts: ['310120'] });
      const bank = await bankOf(t, 'ICBC-SH');
      const { inst: mixed, escrow } = await eligibleInstitution(t, [r1, r2], '310120');
      await bank.credit(escrow.accountNumber, '1000.00', 'CNY');
      await bank.credit(escrow.accountNumber, '500.50', 'HKD');
      await bank.credit(escrow.accountNumber, '0.25', 'HKD');
      const yen = (await t.request('POST', '/institutions', { key: r1, body: institutionBody('310120', { name: '円機構' }) })).body;
      const yenEscrow = (
        await t.request('POST', `/institutions/${yen.id}/escrow-accounts`, {
          key: r1,
          body: { bankCode: 'ICBC-SH', accountNumber: `Y${yen.uscc}`, accountName: 'yen', currency: 'JPY', mode: 'full_custody', agreementReference: 'AY' },
        })
      ).body;
      await bank.credit(yenEscrow.accountNumber, '120000', 'JPY');

      const audit = (await t.request('GET', '/audit/districts/310120', { key: r1 })).body;
      const rows = audit.institutions.map((i: any) => [i.institutionId, i.currency, i.bankCash, i.suspense, i.obligations]);
      expect(rows).toEqual(
        expect.arrayContaining([
          [mixed.id, 'CNY', '1000.00', '1000.00', '0.00'],
          [mixed.id, 'HKD', '500.75', '500.75', '0.00'],
          [yen.id, 'JPY', '120000', '120000', '0'],
        ]),
      );
      expect(audit.institutions).toHaveLength(3);
      expect(audit.totals).toEqual([
        { currency: 'CNY', institutions: 1, obligations: '0.00', paidIn: '0.00', released: '0.00', refunded: '0.00', transferred: '0.00', bankCash: '1000.00', suspense: '1000.00', coverage: null },
        { currency: 'HKD', institutions: 1, obligations: '0.00', paidIn: '0.00', released: '0.00', refunded: '0.00', transferred: '0.00', bankCash: '500.75', suspense: '500.75', coverage: null },
        { currency: 'JPY', institutions: 1, obligations: '0', paidIn: '0', released: '0', refunded: '0', transferred: '0', bankCash: '120000', suspense: '120000', coverage: null },
      ]);

      const one = (await t.request('GET', `/audit/institutions/${mixed.id}`, { key: r1 })).body;
      expect(one.totals.map((x: any) => [x.currency, x.bankCash])).toEqual([
        ['CNY', '1000.00'],
        ['HKD', '500.75'],
      ]);

      const csv = await t.request('GET', '/audit/districts/310120?format=csv', { key: r1 });
      const lines = csv.text.trim().split('\n');
      expect(lines[0]).toBe('institutionId,name,uscc,districtCode,currency,bankCode,accountNumber,escrowState,obligations,paidIn,released,refunded,transferred,bankCash,suspense,coverage,lastReconciledDay,openAlertsCritical,openAlertsWarning,openAlertsInfo');
      expect(lines.slice(-3)).toEqual([
        'TOTAL,1 institutions,,310120,CNY,,,,0.00,0.00,0.00,0.00,0.00,1000.00,1000.00,,,,,',
        'TOTAL,1 institutions,,310120,HKD,,,,0.00,0.00,0.00,0.00,0.00,500.75,500.75,,,,,',
        'TOTAL,1 institutions,,310120,JPY,,,,0,0,0,0,0,120000,120000,,,,,',
      ]);
    });
  });
});
