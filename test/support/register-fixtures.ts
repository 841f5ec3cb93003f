import { Webhook } from 'standardwebhooks';
import { BanksService } from '@modules/banks/banks.service';
import { TestApp } from './test-app';

let seq = 0;

/** A valid, unique unified social credit code (check character computed). */
export function makeUscc(): string {
  const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  seq += 1;
  const body = `9131011${String(Date.now() % 1e6).padStart(6, '0')}${String(seq).padStart(4, '0')}`.slice(0, 17);
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += ALPHABET.indexOf(body[i]) * WEIGHTS[i];
  return body + ALPHABET[(31 - (sum % 31)) % 31];
}

export function institutionBody(district = '310117', overrides: Record<string, unknown> = {}) {
  return {
    name: '上海启明星教育培训有限公司',
    uscc: makeUscc(),
    districtCode: district,
    category: 'non_subject',
    profitType: 'for_profit',
    address: '上海市松江区人民北路 100 号',
    legalRepresentative: '张三',
    contactName: '李四',
    contactPhone: '13812345678',
    ...overrides,
  };
}

/** Registers a custody bank unless it exists (escrow accounts may only be filed at a known bank); its first secret. */
export async function ensureBank(t: TestApp, code: string): Promise<string> {
  const banks = t.app.get(BanksService);
  if (!(await banks.exists(code))) {
    try {
      return (await banks.register(code, code, null)).secret;
    } catch {
      /* registered meanwhile by a concurrent caller */
    }
  }
  return (await banks.deliveryTarget(code))!.secrets[0];
}

/** Registers an institution and takes it to eligible: licence (joint review), inspection, escrow. */
export async function eligibleInstitution(t: TestApp, regulators: [string, string], district = '310117', validFrom = '2026-06-01') {
  const [r1, r2] = regulators;
  const inst = (await t.request('POST', '/institutions', { key: r1, body: institutionBody(district) })).body;
  const licence = (await t.request('POST', `/institutions/${inst.id}/licences`, { key: r1 })).body;
  await t.request('POST', `/licences/${licence.id}/review`, {
    key: r1,
    body: { licenceNumber: `LIC-${inst.uscc}`, validFrom, validTo: '2029-05-31' },
  });
  await t.request('POST', `/licences/${licence.id}/approvals`, { key: r1, body: {} });
  await t.request('POST', `/licences/${licence.id}/approvals`, { key: r2, body: {} });
  await ensureBank(t, 'ICBC-SH');
  const escrow = (
    await t.request('POST', `/institutions/${inst.id}/escrow-accounts`, {
      key: r1,
      body: { bankCode: 'ICBC-SH', accountNumber: `ESC${inst.uscc}`, accountName: `${inst.name}监管专户`, mode: 'full_custody', agreementReference: `AGR-${inst.uscc}` },
    })
  ).body;
  return { inst, licence, escrow };
}

let credits = 0;

/** A bank that can send signed notices: registers it (once per app) and makes a bank key. */
export async function bankOf(t: TestApp, code: string) {
  const secret = await ensureBank(t, code);
  const key = await t.createKey({ role: 'bank', bankCode: code });
  /** A signed credit notice to an escrow account at this bank (no payer reference: it lands in suspense). */
  const credit = async (escrowAccountNumber: string, amount: string, currency: string, payerReference?: string) => {
    credits += 1;
    const payload = JSON.stringify({ bankTransactionId: `RF-${Date.now()}-${credits}`, escrowAccountNumber, amount, currency, valueDate: '2026-11-22', payerReference });
    const at = new Date();
    const id = `rf-msg-${credits}`;
    const res = await t.request('POST', '/bank/credits', {
      key,
      rawBody: payload,
      headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret!).sign(id, at, payload) },
    });
    if (res.status !== 201) throw new Error(`credit refused: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  return { key, credit };
}
