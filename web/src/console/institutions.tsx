import { formatDateTime, money } from '../common/format';
import { all, api, covers } from './session';
import { Block, ReasonAction, t, Table, useLoad } from './ui';

export interface Institution { id: string; name: string; uscc: string; districtCode: string; category: string; status: string; address: string; legalRepresentative: string; contactName: string; contactPhone: string }
interface Licence { id: string; state: string; licenceNumber: string | null; validFrom: string | null; validTo: string | null; requiredApprovals: number | null; approvals?: unknown[] }
interface Inspection { id: string; year: number; result: string; inspectedOn: string; inspector: string; fundSupervisionFindings: string }
interface Escrow { id: string; bankCode: string; accountNumber: string; accountName: string; currency: string; mode: string; state: string }
interface AuditRow { currency: string; obligations: string; paidIn: string; released: string; refunded: string; bankCash: string; suspense: string; coverage: string | null; lastReconciledDay: string | null }
interface Contract { id: string; reference: string; studentName: string; lessons: number; lessonsConsumed: number; totalPrice: string; amountPaid: string; amountConsumed: string; currency: string; state: string; startDate: string; endDate: string }
interface Refund { id: string; contractId: string; state: string; reason: string; respondBy: string; amount: string | null; currency: string; computation: { refund: string } }
export interface Alert { id: string; type: string; severity: string; state: string; institutionId: string; institutionName: string; districtCode: string; openedAt: string; figures?: unknown }
interface ActionLog { id: string; at: string; actorId: string; role: string; method: string; route: string; target: string; status: number }

export function InstitutionList({ district }: { district: string }) {
  const list = useLoad(async () => (await all<Institution>('/institutions')).filter((i) => covers(district, i.districtCode)), [district]);
  return (
    <div class="page">
      <h1>{t('institutions')} · {district}</h1>
      <Block title={t('institutions')} state={list}>
        {(rows) => (
          <Table id="institutions" filename={`institutions-${district}.csv`} rows={rows} columns={[
            { key: 'name', label: t('name'), value: (i) => i.name, render: (i) => <a href={`#/institutions/${i.id}`}>{i.name}</a> },
            { key: 'uscc', label: t('uscc'), value: (i) => i.uscc },
            { key: 'district', label: t('districtCode'), value: (i) => i.districtCode },
            { key: 'category', label: t('category'), value: (i) => i.category },
            { key: 'status', label: t('status'), value: (i) => i.status, render: (i) => t(`status.${i.status}`) },
          ]} />
        )}
      </Block>
    </div>
  );
}

export function AlertsTable({ rows, onChange, id }: { rows: Alert[]; onChange: () => void; id: string }) {
  return (
    <Table id={id} filename={`${id}.csv`} rows={rows} columns={[
      { key: 'openedAt', label: t('openedAt'), value: (a) => a.openedAt, render: (a) => formatDateTime(a.openedAt) },
      { key: 'institution', label: t('institution'), value: (a) => a.institutionName ?? a.institutionId, render: (a) => <a href={`#/institutions/${a.institutionId}`}>{a.institutionName ?? a.institutionId}</a> },
      { key: 'type', label: t('type'), value: (a) => a.type },
      { key: 'severity', label: t('severity'), value: (a) => a.severity, render: (a) => <span class={`sev-${a.severity}`}>{t(`severity.${a.severity}`)}</span> },
      { key: 'state', label: t('state'), value: (a) => a.state },
      {
        key: 'actions', label: '', value: () => '',
        render: (a) => (
          <div class="row-actions" data-alert={a.id}>
            {a.state === 'open' && <ReasonAction label={t('acknowledge')} target={a.type} run={(reason) => api(`/alerts/${a.id}/acknowledge`, { method: 'POST', body: { reason } })} onDone={onChange} />}
            {a.state !== 'resolved' && <ReasonAction label={t('resolve')} target={a.type} run={(reason) => api(`/alerts/${a.id}/resolve`, { method: 'POST', body: { reason } })} onDone={onChange} />}
          </div>
        ),
      },
    ]} />
  );
}

export function InstitutionPage({ id }: { id: string }) {
  const inst = useLoad(() => api<Institution>(`/institutions/${id}`), [id]);
  // The list has no approvals; each licence's own read has the joint review (who approved, when).
  const licences = useLoad(async () => Promise.all((await api<Licence[]>(`/institutions/${id}/licences`)).map((l) => api<Licence>(`/licences/${l.id}`))), [id]);
  const inspections = useLoad(() => api<Inspection[]>(`/institutions/${id}/inspections`), [id]);
  const escrow = useLoad(() => api<Escrow[]>(`/institutions/${id}/escrow-accounts`), [id]);
  const audit = useLoad(() => api<{ institutions: AuditRow[] }>(`/audit/institutions/${id}`), [id]);
  const contracts = useLoad(() => all<Contract>(`/institutions/${id}/contracts`), [id]);
  const refunds = useLoad(() => api<Refund[]>(`/institutions/${id}/refunds`), [id]);
  const alerts = useLoad(() => all<Alert>(`/alerts?institutionId=${id}`), [id]);
  const log = useLoad(() => all<ActionLog>(`/action-log?institutionId=${id}`, 500), [id]);
  const afterEscrow = () => { escrow.reload(); log.reload(); };
  return (
    <div class="page">
      <p><a href="#/institutions">{t('back')}</a></p>
      {inst.error ? <Block title={t('institution')} state={inst}>{() => null}</Block> : (
        <>
          <h1>{inst.value?.name ?? t('loading')}</h1>
          {inst.value && (
            <dl class="facts">
              <dt>{t('uscc')}</dt><dd>{inst.value.uscc}</dd>
              <dt>{t('districtCode')}</dt><dd>{inst.value.districtCode}</dd>
              <dt>{t('status')}</dt><dd data-testid="institution-status">{t(`status.${inst.value.status}`)}</dd>
              <dt>{t('category')}</dt><dd>{inst.value.category}</dd>
            </dl>
          )}
        </>
      )}
      <Block title={t('escrow')} state={escrow}>
        {(rows) => (
          <table class="plain">
            <thead><tr><th scope="col">{t('bank')}</th><th scope="col">{t('account')}</th><th scope="col">{t('state')}</th><th scope="col" /></tr></thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.id} data-escrow={e.id}>
                  <td>{e.bankCode}</td>
                  <td>{e.accountNumber}</td>
                  <td data-testid="escrow-state">{e.state}</td>
                  <td>
                    {e.state === 'active' && <ReasonAction danger label={t('freeze')} target={e.accountNumber} run={(reason) => api(`/escrow-accounts/${e.id}/freeze`, { method: 'POST', body: { reason } })} onDone={afterEscrow} />}
                    {e.state === 'frozen' && <ReasonAction label={t('unfreeze')} target={e.accountNumber} run={(reason) => api(`/escrow-accounts/${e.id}/unfreeze`, { method: 'POST', body: { reason } })} onDone={afterEscrow} />}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Block>
      <Block title={t('balances')} state={audit}>
        {(a) => (
          <Table id="balances" filename={`balances-${id}.csv`} rows={a.institutions} searchable={false} columns={[
            { key: 'currency', label: t('currency'), value: (r) => r.currency },
            ...(['obligations', 'paidIn', 'released', 'refunded', 'bankCash', 'suspense'] as const).map((f) => ({ key: f, label: t(f), value: (r: AuditRow) => r[f], kind: 'amount' as const, render: (r: AuditRow) => money(r[f], r.currency) })),
            { key: 'coverage', label: t('coverage'), value: (r) => r.coverage ?? '' },
            { key: 'lastReconciledDay', label: t('lastDay'), value: (r) => r.lastReconciledDay ?? '' },
          ]} />
        )}
      </Block>
      <Block title={t('licences')} state={licences}>
        {(rows) => (
          <Table id="licences" filename={`licences-${id}.csv`} rows={rows} searchable={false} columns={[
            { key: 'number', label: t('licenceNumber'), value: (l) => l.licenceNumber ?? '' },
            { key: 'state', label: t('state'), value: (l) => l.state },
            { key: 'valid', label: t('validity'), value: (l) => `${l.validFrom ?? ''} – ${l.validTo ?? ''}` },
            { key: 'approvals', label: t('approvals'), value: (l) => (l.approvals ? `${l.approvals.length}/${l.requiredApprovals ?? '–'}` : String(l.requiredApprovals ?? '–')) },
          ]} />
        )}
      </Block>
      <Block title={t('inspections')} state={inspections}>
        {(rows) => (
          <Table id="inspections" filename={`inspections-${id}.csv`} rows={rows} searchable={false} columns={[
            { key: 'year', label: t('year'), value: (i) => String(i.year), kind: 'number' },
            { key: 'result', label: t('result'), value: (i) => i.result },
            { key: 'on', label: t('day'), value: (i) => i.inspectedOn },
            { key: 'findings', label: t('reason'), value: (i) => i.fundSupervisionFindings },
          ]} />
        )}
      </Block>
      <Block title={t('contracts')} state={contracts}>
        {(rows) => (
          <Table id="contracts" filename={`contracts-${id}.csv`} rows={rows} columns={[
            { key: 'reference', label: t('reference'), value: (c) => c.reference },
            { key: 'student', label: t('student'), value: (c) => c.studentName },
            { key: 'state', label: t('state'), value: (c) => c.state },
            { key: 'progress', label: t('progress'), value: (c) => `${c.lessonsConsumed}/${c.lessons}`, render: (c) => <><progress max={c.lessons} value={c.lessonsConsumed} aria-label={`${c.lessonsConsumed}/${c.lessons}`} /> {c.lessonsConsumed}/{c.lessons}</> },
            { key: 'price', label: t('totalPrice'), value: (c) => c.totalPrice, kind: 'amount', render: (c) => money(c.totalPrice, c.currency) },
            { key: 'paid', label: t('amountPaid'), value: (c) => c.amountPaid, kind: 'amount', render: (c) => money(c.amountPaid, c.currency) },
            { key: 'consumed', label: t('consumed'), value: (c) => c.amountConsumed, kind: 'amount', render: (c) => money(c.amountConsumed, c.currency) },
          ]} />
        )}
      </Block>
      <Block title={t('refunds')} state={refunds}>
        {(rows) => (
          <Table id="refunds" filename={`refunds-${id}.csv`} rows={rows} columns={[
            { key: 'state', label: t('state'), value: (r) => r.state },
            { key: 'amount', label: t('amount'), value: (r) => r.amount ?? r.computation.refund, kind: 'amount', render: (r) => money(r.amount ?? r.computation.refund, r.currency) },
            { key: 'respondBy', label: t('respondBy'), value: (r) => r.respondBy },
            { key: 'reason', label: t('reason'), value: (r) => r.reason },
          ]} />
        )}
      </Block>
      <Block title={t('alerts')} state={alerts}>
        {(rows) => <AlertsTable id={`alerts-${id}`} rows={rows} onChange={() => { alerts.reload(); log.reload(); }} />}
      </Block>
      <Block title={t('actionLog')} state={log}>
        {(rows) => (
          <Table id={`action-log-${id}`} filename={`action-log-${id}.csv`} rows={rows} columns={[
            { key: 'at', label: t('at'), value: (r) => r.at, render: (r) => formatDateTime(r.at) },
            { key: 'actor', label: t('actor'), value: (r) => r.actorId },
            { key: 'role', label: t('role'), value: (r) => r.role },
            { key: 'route', label: t('route'), value: (r) => `${r.method} ${r.route}` },
            { key: 'status', label: t('status'), value: (r) => String(r.status), kind: 'number' },
          ]} />
        )}
      </Block>
    </div>
  );
}
