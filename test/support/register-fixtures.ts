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
  const escrow = (
    await t.request('POST', `/institutions/${inst.id}/escrow-accounts`, {
      key: r1,
      body: { bankCode: 'ICBC-SH', accountNumber: `ESC${inst.uscc}`, accountName: `${inst.name}监管专户`, mode: 'full_custody', agreementReference: `AGR-${inst.uscc}` },
    })
  ).body;
  return { inst, licence, escrow };
}
