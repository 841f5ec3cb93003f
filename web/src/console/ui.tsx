import { Component, type ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError } from '../common/api';
import { compareDecimal } from '../common/format';
import { downloadCsv } from '../common/download';
import { translate } from '../common/i18n';
import { signal } from '../common/signal';
import { T } from './texts';

/** The result of the last action, shown at the top of the page (its row may be gone after the reload). */
export const notice = signal<string | null>(null);

export const t = (key: string, vars?: Record<string, string | number>) => translate(T, key, vars);

/** Loads once per dependency change; `error` keeps the API's error (its code, message and request id). */
export function useLoad<V>(load: () => Promise<V>, deps: unknown[]): { value: V | null; error: unknown; reload: () => void } {
  const [value, setValue] = useState<V | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    setError(null);
    load().then((v) => live && setValue(v), (e) => live && setError(e));
    return () => { live = false; };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, n]);
  return { value, error, reload: () => setN((x) => x + 1) };
}

export function ErrorBox({ error, what }: { error: unknown; what?: string }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : new ApiError(0, 'UNKNOWN', String(error), null);
  if (what && e.routeMissing) return <p class="msg info" role="status" data-unavailable={what}>{t('unavailable', { what })}</p>;
  return <p class="msg error" role="alert">{t('apiError', { message: e.message, code: e.code, id: e.requestId ?? '–' })}</p>;
}

/** A fault while drawing one section shows a message in that section instead of blanking the page. */
class Guard extends Component<{ children: ComponentChildren }, { failed: string | null }> {
  state = { failed: null as string | null };
  componentDidCatch(err: unknown) {
    this.setState({ failed: String(err instanceof Error ? err.message : err) });
  }
  render() {
    return this.state.failed ? <p class="msg error" role="alert">{t('apiError', { message: this.state.failed, code: 'DISPLAY', id: '–' })}</p> : this.props.children;
  }
}

const Draw = ({ draw }: { draw: () => ComponentChildren }) => <>{draw()}</>;

/** A section that shows its data, its loading state, or a clear message (never a blank). */
export function Block<V>({ title, state, what, children }: { title: string; state: { value: V | null; error: unknown }; what?: string; children: (v: V) => ComponentChildren }) {
  return (
    <section aria-label={title}>
      <h2>{title}</h2>
      <Guard>{state.error ? <ErrorBox error={state.error} what={what ?? title} /> : state.value === null ? <p class="muted">{t('loading')}</p> : <Draw draw={() => children(state.value as V)} />}</Guard>
    </section>
  );
}

export interface Column<R> {
  key: string;
  label: string;
  value: (r: R) => string;
  /** `amount` sorts exactly as decimals and aligns right; `number` sorts numerically. */
  kind?: 'text' | 'amount' | 'number';
  render?: (r: R) => ComponentChildren;
}

/** A searchable, sortable table whose shown rows export to CSV. */
export function Table<R>({ id, columns, rows, filename, searchable = true }: { id: string; columns: Column<R>[]; rows: R[]; filename: string; searchable?: boolean }) {
  const [query, setQuery] = useState('');
  const [sort, setSort] = useState<{ key: string; dir: 1 | -1 } | null>(null);
  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    let out = q ? rows.filter((r) => columns.some((c) => c.value(r).toLowerCase().includes(q))) : [...rows];
    if (sort) {
      const col = columns.find((c) => c.key === sort.key)!;
      const cmp = col.kind === 'amount' ? compareDecimal : col.kind === 'number' ? (a: string, b: string) => compareDecimal(a || '0', b || '0') : (a: string, b: string) => a.localeCompare(b, 'zh-CN');
      out = out.sort((a, b) => cmp(col.value(a), col.value(b)) * sort.dir);
    }
    return out;
  }, [rows, columns, query, sort]);
  const toggle = (key: string) => setSort((s) => (s?.key === key ? { key, dir: s.dir === 1 ? -1 : 1 } : { key, dir: 1 }));
  return (
    <div class="table-wrap">
      <div class="table-tools">
        {searchable && (
          <label class="inline">
            {t('search')} <input type="search" value={query} onInput={(e) => setQuery((e.target as HTMLInputElement).value)} aria-controls={id} />
          </label>
        )}
        <span class="muted">{t('rows', { n: shown.length })}</span>
        <button type="button" onClick={() => downloadCsv(filename, columns.map((c) => c.label), shown.map((r) => columns.map((c) => c.value(r))))}>{t('exportCsv')}</button>
      </div>
      <table id={id}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} scope="col" class={c.kind === 'amount' || c.kind === 'number' ? 'num' : ''} aria-sort={sort?.key === c.key ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none'}>
                <button type="button" class="sort" onClick={() => toggle(c.key)}>{c.label}{sort?.key === c.key ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''}</button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.length === 0 ? (
            <tr><td colSpan={columns.length} class="muted">{t('nothing')}</td></tr>
          ) : (
            shown.map((r, i) => (
              <tr key={i}>
                {columns.map((c) => <td key={c.key} class={c.kind === 'amount' || c.kind === 'number' ? 'num' : ''}>{c.render ? c.render(r) : c.value(r)}</td>)}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

/**
 * An action that needs a reason and a confirmation step: the reason first, then "do you really
 * want to", then the API call; the result (or the API's error) is shown in place.
 */
export function ReasonAction({ label, target, run, onDone, danger = false, extra }: {
  label: string;
  target: string;
  run: (reason: string) => Promise<unknown>;
  onDone?: () => void;
  danger?: boolean;
  extra?: ComponentChildren;
}) {
  const [step, setStep] = useState<'idle' | 'reason' | 'confirm' | 'busy'>('idle');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const fieldId = useMemo(() => `r-${Math.random().toString(36).slice(2)}`, []);
  // Keyboard users land where the next step is: the reason field, then the confirmation.
  const reasonRef = useRef<HTMLTextAreaElement>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  useLayoutEffect(() => {
    if (step === 'reason') reasonRef.current?.focus();
    if (step === 'confirm') confirmRef.current?.focus();
  }, [step]);
  const go = async () => {
    setStep('busy');
    setError(null);
    try {
      await run(reason.trim());
      notice.set(t('done', { what: `${label} · ${target}` }));
      setDone(true);
      setStep('idle');
      setReason('');
      onDone?.();
    } catch (e) {
      setError(e);
      setStep('confirm');
    }
  };
  return (
    <div class="action">
      {step === 'idle' && <button type="button" class={danger ? 'danger' : ''} onClick={() => { setDone(false); setStep('reason'); }}>{label}</button>}
      {step === 'reason' && (
        <form class="reason-form" onSubmit={(e) => { e.preventDefault(); if (reason.trim().length >= 2) setStep('confirm'); }}>
          {extra}
          <label for={fieldId}>{t('reason')} ({label})</label>
          <textarea ref={reasonRef} id={fieldId} required minLength={2} maxLength={1000} value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} onKeyDown={(e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) (e.currentTarget as HTMLTextAreaElement).form?.requestSubmit(); }} />
          <div class="buttons">
            <button type="submit" disabled={reason.trim().length < 2}>{t('next')}</button>
            <button type="button" onClick={() => setStep('idle')}>{t('cancel')}</button>
          </div>
        </form>
      )}
      {(step === 'confirm' || step === 'busy') && (
        <div class="confirm" role="alertdialog" aria-label={t('confirmAction', { action: label, target })}>
          <p><strong>{t('confirmAction', { action: label, target })}</strong></p>
          <p>{t('reason')}: {reason}</p>
          <p class="muted">{t('confirmText', { action: label })}</p>
          <div class="buttons">
            <button ref={confirmRef} type="button" class={danger ? 'danger primary' : 'primary'} disabled={step === 'busy'} onClick={() => void go()}>{t('yes')}</button>
            <button type="button" onClick={() => setStep('idle')}>{t('cancel')}</button>
          </div>
        </div>
      )}
      {done && <p class="msg ok" role="status">{t('done', { what: `${label} · ${target}` })}</p>}
      <ErrorBox error={error} />
    </div>
  );
}
