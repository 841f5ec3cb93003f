import { money } from '../common/format';
import { AlertsTable, type Alert, type Institution } from './institutions';
import { all, api, covers } from './session';
import { Block, ReasonAction, t, Table, useLoad } from './ui';

interface Contract { id: string; reference: string; institutionId: string; lessonsConsumed: number; state: string }
interface Lesson { id: string; contractId: string; amount: string; state: string; deliveredOn: string; disputeReason: string | null }
interface Refund { id: string; institutionId: string; state: string; reason: string; contestReason: string | null; amount: string | null; currency: string; computation: { refund: string } }
interface Exception { id: string; type: string; state: string; institutionId: string; businessDate: string; amount: string; currency: string; bankReference: string | null; ageDays: number }

/** Queues gathered institution by institution are capped: the console is for looking, not for bulk scans. */
const SCAN_MAX = 50;

async function institutionsOf(district: string): Promise<Institution[]> {
  return (await all<Institution>('/institutions')).filter((i) => covers(district, i.districtCode));
}

async function disputedLessons(district: string): Promise<(Lesson & { institution: Institution; reference: string })[]> {
  const out: (Lesson & { institution: Institution; reference: string })[] = [];
  for (const inst of (await institutionsOf(district)).slice(0, SCAN_MAX)) {
    const contracts = (await all<Contract>(`/institutions/${inst.id}/contracts`)).filter((c) => c.lessonsConsumed > 0);
    for (const c of contracts) {
      for (const l of await api<Lesson[]>(`/contracts/${c.id}/lessons`)) if (l.state === 'disputed') out.push({ ...l, institution: inst, reference: c.reference });
    }
  }
  return out;
}

async function contestedRefunds(district: string): Promise<(Refund & { institution: Institution })[]> {
  const out: (Refund & { institution: Institution })[] = [];
  for (const inst of (await institutionsOf(district)).slice(0, SCAN_MAX)) {
    for (const r of await api<Refund[]>(`/institutions/${inst.id}/refunds?state=contested`)) out.push({ ...r, institution: inst });
  }
  return out;
}

export function Queues({ district }: { district: string }) {
  const lessons = useLoad(() => disputedLessons(district), [district]);
  const refunds = useLoad(() => contestedRefunds(district), [district]);
  const exceptions = useLoad(() => all<Exception>(`/reconciliation/exceptions?districtCode=${district}&state=open`, 500), [district]);
  const alerts = useLoad(async () => (await all<Alert>(`/alerts?districtCode=${district}`, 1000)).filter((a) => a.state !== 'resolved'), [district]);
  const closures = useLoad(async () => (await institutionsOf(district)).filter((i) => i.status === 'closing'), [district]);
  return (
    <div class="page">
      <h1>{t('queues')} · {district}</h1>
      <Block title={t('alerts')} state={alerts}>
        {(rows) => <AlertsTable id="queue-alerts" rows={rows} onChange={alerts.reload} />}
      </Block>
      <Block title={t('disputedLessons')} state={lessons}>
        {(rows) => (
          <>
            <p class="muted">{t('scanNote', { n: SCAN_MAX })}</p>
            <Table id="disputed-lessons" filename={`disputed-lessons-${district}.csv`} rows={rows} columns={[
              { key: 'inst', label: t('institution'), value: (l) => l.institution.name, render: (l) => <a href={`#/institutions/${l.institution.id}`}>{l.institution.name}</a> },
              { key: 'ref', label: t('reference'), value: (l) => l.reference },
              { key: 'day', label: t('deliveredOn'), value: (l) => l.deliveredOn },
              { key: 'amount', label: t('amount'), value: (l) => l.amount, kind: 'amount', render: (l) => money(l.amount) },
              { key: 'reason', label: t('disputeReason'), value: (l) => l.disputeReason ?? '' },
              {
                key: 'act', label: '', value: () => '',
                render: (l) => (
                  <div class="row-actions">
                    <ReasonAction label={t('decideConfirm')} target={`${l.reference} ${l.deliveredOn}`} run={(reason) => api(`/lessons/${l.id}/decision`, { method: 'POST', body: { decision: 'confirm', reason } })} onDone={lessons.reload} />
                    <ReasonAction label={t('decideWithdraw')} target={`${l.reference} ${l.deliveredOn}`} run={(reason) => api(`/lessons/${l.id}/decision`, { method: 'POST', body: { decision: 'withdraw', reason } })} onDone={lessons.reload} />
                  </div>
                ),
              },
            ]} />
          </>
        )}
      </Block>
      <Block title={t('contestedRefunds')} state={refunds}>
        {(rows) => (
          <Table id="contested-refunds" filename={`contested-refunds-${district}.csv`} rows={rows} columns={[
            { key: 'inst', label: t('institution'), value: (r) => r.institution.name, render: (r) => <a href={`#/institutions/${r.institution.id}`}>{r.institution.name}</a> },
            { key: 'amount', label: t('amount'), value: (r) => r.computation.refund, kind: 'amount', render: (r) => money(r.computation.refund, r.currency) },
            { key: 'reason', label: t('reason'), value: (r) => r.reason },
            { key: 'contest', label: t('contestReason'), value: (r) => r.contestReason ?? '' },
            {
              key: 'act', label: '', value: () => '',
              render: (r) => (
                <div class="row-actions">
                  <ReasonAction label={t('decideFull')} target={money(r.computation.refund, r.currency)} run={(reason) => api(`/refunds/${r.id}/decision`, { method: 'POST', body: { decision: 'full', reason } })} onDone={refunds.reload} />
                  <ReasonAction danger label={t('decideRefuse')} target={money(r.computation.refund, r.currency)} run={(reason) => api(`/refunds/${r.id}/decision`, { method: 'POST', body: { decision: 'refuse', reason } })} onDone={refunds.reload} />
                </div>
              ),
            },
          ]} />
        )}
      </Block>
      <Block title={t('reconExceptions')} state={exceptions}>
        {(rows) => (
          <Table id="recon-exceptions" filename={`reconciliation-exceptions-${district}.csv`} rows={rows} columns={[
            { key: 'day', label: t('businessDate'), value: (x) => x.businessDate },
            { key: 'type', label: t('type'), value: (x) => x.type },
            { key: 'amount', label: t('amount'), value: (x) => x.amount, kind: 'amount', render: (x) => money(x.amount, x.currency) },
            { key: 'ref', label: t('reference'), value: (x) => x.bankReference ?? '' },
            { key: 'inst', label: t('institution'), value: (x) => x.institutionId, render: (x) => <a href={`#/institutions/${x.institutionId}`}>{x.institutionId.slice(0, 8)}</a> },
            {
              key: 'act', label: '', value: () => '',
              render: (x) => <ReasonAction label={t('acceptTiming')} target={`${x.businessDate} ${money(x.amount, x.currency)}`} run={(reason) => api(`/reconciliation/exceptions/${x.id}/resolutions`, { method: 'POST', body: { action: 'timing_difference', reason } })} onDone={exceptions.reload} />,
            },
          ]} />
        )}
      </Block>
      <Block title={t('closures')} state={closures}>
        {(rows) => (
          <Table id="closures" filename={`closures-${district}.csv`} rows={rows} columns={[
            { key: 'name', label: t('name'), value: (i) => i.name, render: (i) => <a href={`#/institutions/${i.id}`}>{i.name}</a> },
            { key: 'uscc', label: t('uscc'), value: (i) => i.uscc },
            { key: 'status', label: t('status'), value: (i) => t(`status.${i.status}`) },
          ]} />
        )}
      </Block>
    </div>
  );
}
