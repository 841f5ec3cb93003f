import { money } from '../common/format';
import { api, all, covers } from './session';
import { Block, t, Table, useLoad } from './ui';

interface Totals { currency: string; institutions: number; obligations: string; paidIn: string; released: string; refunded: string; bankCash: string; suspense: string; coverage: string | null }
interface DistrictAudit { district: string; generatedAt: string; totals: Totals[] }
interface Institution { id: string; name: string; districtCode: string; status: string }
interface Alert { severity: string; state: string }
interface Recon { date: string; totals: Record<string, { accounts: number }> }
interface Flows { from: string; to: string; days: { day: string; currency: string; inflow: string; outflow: string }[] }

const FIELDS = ['obligations', 'paidIn', 'released', 'refunded', 'bankCash', 'suspense'] as const;

/** The flows chart: one pair of bars per day, drawn by hand in SVG. Bar heights are for the eye only; the exact figures are in the table below it. */
function FlowChart({ flows, currency }: { flows: Flows; currency: string }) {
  const days = flows.days.filter((d) => d.currency === currency);
  // Heights need a scale: whole yuan (the integer part, as text) is exact enough for pixels.
  const size = (s: string) => Number(s.split('.')[0]) || 0;
  const max = Math.max(1, ...days.map((d) => Math.max(size(d.inflow), size(d.outflow))));
  const W = 720, H = 180, pad = 24, bw = (W - pad * 2) / Math.max(days.length, 1);
  return (
    <figure>
      <svg viewBox={`0 0 ${W} ${H + 30}`} role="img" aria-label={t('flows', { currency })} class="chart">
        <line x1={pad} y1={H} x2={W - pad} y2={H} stroke="#8892a0" />
        {days.map((d, i) => {
          const x = pad + i * bw;
          const hi = (size(d.inflow) / max) * (H - 10);
          const ho = (size(d.outflow) / max) * (H - 10);
          return (
            <g key={d.day}>
              <rect x={x + 1} y={H - hi} width={bw / 2 - 1} height={hi} fill="#0b5cad"><title>{`${d.day} ${t('inflow')} ${money(d.inflow)}`}</title></rect>
              <rect x={x + bw / 2} y={H - ho} width={bw / 2 - 1} height={ho} fill="#d9480f"><title>{`${d.day} ${t('outflow')} ${money(d.outflow)}`}</title></rect>
              {i % 5 === 0 && <text x={x} y={H + 16} font-size="11" fill="#5b6573">{d.day.slice(5)}</text>}
            </g>
          );
        })}
      </svg>
      <figcaption><span class="key in" /> {t('inflow')} <span class="key out" /> {t('outflow')}</figcaption>
    </figure>
  );
}

export function Dashboard({ district }: { district: string }) {
  const audit = useLoad(() => api<DistrictAudit>(`/audit/districts/${district}`), [district]);
  const insts = useLoad(async () => (await all<Institution>('/institutions')).filter((i) => covers(district, i.districtCode)), [district]);
  const alerts = useLoad(() => all<Alert>(`/alerts?state=open&districtCode=${district}`), [district]);
  const recon = useLoad(() => api<Recon>(`/reconciliation/districts/${district}`), [district]);
  const flows = useLoad(() => api<Flows>(`/audit/districts/${district}/daily-flows?days=30`), [district]);
  return (
    <div class="page">
      <h1>{t('dashboard')} · {district}</h1>
      <Block title={t('totals')} state={audit}>
        {(a) => (
          <div class="cards" data-testid="totals">
            {a.totals.length === 0 && <p class="muted">{t('nothing')}</p>}
            {a.totals.map((c) => (
              <dl class="card" key={c.currency} data-currency={c.currency}>
                <dt>{t('currency')}</dt><dd>{c.currency}</dd>
                <dt>{t('count')}</dt><dd>{c.institutions}</dd>
                {FIELDS.map((f) => [<dt key={`${f}-t`}>{t(f)}</dt>, <dd key={f} data-total={f}>{money(c[f], c.currency)}</dd>])}
                <dt>{t('coverage')}</dt><dd data-total="coverage">{c.coverage ?? '–'}</dd>
              </dl>
            ))}
          </div>
        )}
      </Block>
      <div class="grid3">
        <Block title={t('byState')} state={insts}>
          {(list) => (
            <ul class="counts" data-testid="by-state">
              {['operating', 'closing', 'closed'].map((s) => <li key={s}><span>{t(`status.${s}`)}</span><strong>{list.filter((i) => i.status === s).length}</strong></li>)}
            </ul>
          )}
        </Block>
        <Block title={t('alertsBySeverity')} what={t('alerts')} state={alerts}>
          {(list) => (
            <ul class="counts" data-testid="alerts-by-severity">
              {['critical', 'warning', 'info'].map((s) => <li key={s} class={`sev-${s}`}><span>{t(`severity.${s}`)}</span><strong>{list.filter((x) => x.severity === s).length}</strong></li>)}
            </ul>
          )}
        </Block>
        <Block title={t('reconciliation')} state={recon}>
          {(r) => (
            <ul class="counts" data-testid="reconciliation">
              <li><span>{t('lastDay')}</span><strong>{r.date}</strong></li>
              <li class="sev-critical"><span>{t('broken')}</span><strong>{r.totals.broken?.accounts ?? 0}</strong></li>
              <li><span>{t('missing')}</span><strong>{r.totals.missing?.accounts ?? 0}</strong></li>
              <li><span>{t('reconciled')}</span><strong>{(r.totals.reconciled?.accounts ?? 0) + (r.totals.reconciled_in_transit?.accounts ?? 0)}</strong></li>
            </ul>
          )}
        </Block>
      </div>
      <Block title={t('flows', { currency: 'CNY' })} state={flows}>
        {(f) => (
          <>
            <FlowChart flows={f} currency="CNY" />
            <details>
              <summary>{t('day')} / {t('inflow')} / {t('outflow')}</summary>
              <Table id="flows" filename={`flows-${district}.csv`} rows={f.days} searchable={false} columns={[
                { key: 'day', label: t('day'), value: (d) => d.day },
                { key: 'currency', label: t('currency'), value: (d) => d.currency },
                { key: 'inflow', label: t('inflow'), value: (d) => d.inflow, kind: 'amount', render: (d) => money(d.inflow, d.currency) },
                { key: 'outflow', label: t('outflow'), value: (d) => d.outflow, kind: 'amount', render: (d) => money(d.outflow, d.currency) },
              ]} />
            </details>
          </>
        )}
      </Block>
    </div>
  );
}
