import { render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, call } from '../common/api';
import { money } from '../common/format';
import { lang, setLang, translate } from '../common/i18n';
import { useSignal } from '../common/signal';
import { T } from './texts';
import './parent.css';

const t = (key: string, vars?: Record<string, string | number>) => translate(T, key, vars);

interface Lesson { id: string; amount: string; state: string; deliveredOn: string; confirmBy: string; released: boolean; disputeReason: string | null }
interface PayerContract {
  contract: { reference: string; studentName: string; lessons: number; startDate: string; endDate: string; totalPrice: string; amountPaid: string; currency: string; state: string };
  institutionName: string;
  courseName: string;
  lessons: Lesson[];
  funds: { paidIn: string; released: string; refunded: string; held: string };
}
interface Computation { lessons: number; lessonsConsumed: number; consumedAmount: string; remainingLessons: number; paidIn: string; refund: string }
interface Refund { id: string; state: string; respondBy: string; computation: Computation; amount: string | null; currency: string }
interface PayerRefunds { quote: Computation | null; refunds: Refund[] }
interface Schedule {
  mode: 'deduction' | 'instalment' | null;
  periods: { seq: number; dueDate: string; amount: string; state: string }[];
  instalments: { seq: number; collectionDate: string; amount: string; state: string; coversFrom: string; coversTo: string }[];
}

const token = decodeURIComponent(location.pathname.replace(/^\/p\//, '').split('/')[0] ?? '');
const auth = { 'payer-token': token };

function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : new ApiError(0, 'UNKNOWN', String(error), null);
  const text = e.code === 'INVALID_PAYER_TOKEN' || e.status === 401 ? t('badLink') : t('failed', { message: e.message, id: e.requestId ?? '–' });
  return <div class="msg error" role="alert">{text}</div>;
}

function LessonItem({ lesson, onDone }: { lesson: Lesson; onDone: (msg: string) => void }) {
  const [disputing, setDisputing] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const act = async (path: string, body: unknown, msg: string) => {
    setBusy(true);
    setError(null);
    try {
      await call(path, auth, { method: 'POST', body });
      onDone(msg);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const fieldId = `reason-${lesson.id}`;
  return (
    <li data-lesson={lesson.id}>
      <div class="row">
        <span>{lesson.deliveredOn}</span>
        <strong>¥{money(lesson.amount)}</strong>
      </div>
      <div class={`state ${lesson.state}`}>{t(`state.${lesson.state}`)}{lesson.state === 'delivered' ? ` · ${t('confirmBy', { day: lesson.confirmBy })}` : ''}</div>
      {lesson.state === 'delivered' && !disputing && (
        <div class="actions">
          <button class="primary" disabled={busy} onClick={() => act(`/payer/lessons/${lesson.id}/confirm`, undefined, t('confirmedMsg'))}>{t('confirm')}</button>
          <button disabled={busy} onClick={() => setDisputing(true)}>{t('dispute')}</button>
        </div>
      )}
      {disputing && (
        <form onSubmit={(e) => { e.preventDefault(); void act(`/payer/lessons/${lesson.id}/dispute`, { reason }, t('disputedMsg')); }}>
          <label for={fieldId}>{t('disputeReason')}</label>
          <textarea id={fieldId} required minLength={2} maxLength={1000} value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
          <div class="actions">
            <button type="submit" class="primary" disabled={busy || reason.trim().length < 2}>{t('send')}</button>
            <button type="button" onClick={() => setDisputing(false)}>{t('cancel')}</button>
          </div>
        </form>
      )}
      <ErrorBox error={error} />
    </li>
  );
}

function RefundSection({ refunds, onDone }: { refunds: PayerRefunds; onDone: (msg: string) => void }) {
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const q = refunds.quote;
  const open = refunds.refunds.find((r) => r.state === 'requested' || r.state === 'contested' || r.state === 'approved');
  const send = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await call<Refund>('/payer/refunds', auth, { method: 'POST', body: { reason } });
      onDone(t('refundSent', { amount: money(r.computation.refund) }));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="refund-h">
      <h2 id="refund-h">{t('refund')}</h2>
      {refunds.refunds.map((r) => (
        <p key={r.id} data-refund={r.state}>
          ¥{money(r.amount ?? r.computation.refund)} · {t(`refund.${r.state}`)}
          {r.state === 'requested' ? <span class="muted"> · {t('refundNote', { day: r.respondBy })}</span> : null}
        </p>
      ))}
      {!open && q && (
        <>
          <p>{t('refundNow')}</p>
          <p class="big" data-testid="refund-quote">¥{money(q.refund)}</p>
          <p class="muted">{t('refundHow', { paid: money(q.paidIn), used: q.lessonsConsumed, consumed: money(q.consumedAmount), left: q.remainingLessons })}</p>
          {!asking ? (
            <button onClick={() => setAsking(true)}>{t('refundAsk')}</button>
          ) : (
            <form onSubmit={(e) => { e.preventDefault(); void send(); }}>
              <label for="refund-reason">{t('refundReason')}</label>
              <textarea id="refund-reason" required minLength={2} maxLength={1000} value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
              <div class="actions">
                <button type="submit" class="primary" disabled={busy || reason.trim().length < 2}>{t('refundConfirm', { amount: money(q.refund) })}</button>
                <button type="button" onClick={() => setAsking(false)}>{t('cancel')}</button>
              </div>
            </form>
          )}
        </>
      )}
      {!open && !q && <p class="muted">{t('refundNone')}</p>}
      <ErrorBox error={error} />
    </section>
  );
}

function ScheduleSection({ schedule, onDone }: { schedule: Schedule; onDone: (msg: string) => void }) {
  const [stopping, setStopping] = useState(false);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  const rows = schedule.mode === 'instalment'
    ? schedule.instalments.map((i) => ({ seq: i.seq, day: i.collectionDate, amount: i.amount, state: i.state }))
    : schedule.periods.map((p) => ({ seq: p.seq, day: p.dueDate, amount: p.amount, state: p.state }));
  const stop = async () => {
    setError(null);
    try {
      await call('/payer/instalments/stop', auth, { method: 'POST', body: { reason } });
      onDone(t('stopped'));
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section aria-labelledby="schedule-h">
      <h2 id="schedule-h">{t('schedule')}</h2>
      <ul class="lessons">
        {rows.map((r) => (
          <li key={r.seq} class="row"><span>{r.day}</span><span>¥{money(r.amount)} <span class="state">{r.state}</span></span></li>
        ))}
      </ul>
      {schedule.mode === 'instalment' && (!stopping ? (
        <div class="actions"><button class="danger" onClick={() => setStopping(true)}>{t('stop')}</button></div>
      ) : (
        <form onSubmit={(e) => { e.preventDefault(); void stop(); }}>
          <label for="stop-reason">{t('stopReason')}</label>
          <textarea id="stop-reason" required minLength={2} value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
          <div class="actions">
            <button type="submit" class="danger" disabled={reason.trim().length < 2}>{t('stopConfirm')}</button>
            <button type="button" onClick={() => setStopping(false)}>{t('cancel')}</button>
          </div>
        </form>
      ))}
      <ErrorBox error={error} />
    </section>
  );
}

function App() {
  useSignal(lang);
  const [data, setData] = useState<PayerContract | null>(null);
  const [refunds, setRefunds] = useState<PayerRefunds | null>(null);
  const [schedule, setSchedule] = useState<Schedule | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const [c, r] = await Promise.all([call<PayerContract>('/payer/contract', auth), call<PayerRefunds>('/payer/refunds', auth)]);
      setData(c);
      setRefunds(r);
      setError(null);
    } catch (e) {
      setError(e);
      return;
    }
    // The schedule exists only where the service offers it (and the contract has one).
    try {
      setSchedule(await call<Schedule>('/payer/schedule', auth));
    } catch {
      setSchedule(null);
    }
  }, []);
  useEffect(() => { if (token) void load(); }, [load]);
  const done = (msg: string) => { setNotice(msg); void load(); };

  const header = (
    <header>
      <h1>{t('title')}</h1>
      <button class="lang" onClick={() => setLang(lang.get() === 'zh' ? 'en' : 'zh')}>{t('switchLang')}</button>
    </header>
  );
  if (!token) return <main>{header}<div class="msg error" role="alert">{t('noLink')}</div></main>;
  if (error && !data) return <main>{header}<ErrorBox error={error} /></main>;
  if (!data || !refunds) return <main>{header}<p>{t('loading')}</p></main>;
  const c = data.contract;
  const used = data.lessons.filter((l) => l.state !== 'withdrawn').length;
  return (
    <main>
      {header}
      {notice && <div class="msg ok" role="status">{notice}</div>}
      <section aria-labelledby="held-h">
        <h2 id="held-h">{t('held')}</h2>
        <p class="big" data-testid="held">¥{money(data.funds.held, c.currency)}</p>
        <p class="muted">{t('heldNote')}</p>
        <dl>
          <dt>{t('paid')}</dt><dd>¥{money(data.funds.paidIn, c.currency)}</dd>
          <dt>{t('released')}</dt><dd>¥{money(data.funds.released, c.currency)}</dd>
          <dt>{t('refunded')}</dt><dd>¥{money(data.funds.refunded, c.currency)}</dd>
        </dl>
      </section>
      <section aria-labelledby="contract-h">
        <h2 id="contract-h">{t('contract')}</h2>
        <dl>
          <dt>{t('school')}</dt><dd>{data.institutionName}</dd>
          <dt>{t('course')}</dt><dd>{data.courseName}</dd>
          <dt>{t('student')}</dt><dd>{c.studentName}</dd>
          <dt>{t('period')}</dt><dd>{c.startDate} – {c.endDate}</dd>
          <dt>{t('price')}</dt><dd>¥{money(c.totalPrice, c.currency)}</dd>
          <dt>{t('status')}</dt><dd>{t(`contract.${c.state}`)}</dd>
          <dt>{t('reference')}</dt><dd>{c.reference}</dd>
        </dl>
      </section>
      <section aria-labelledby="lessons-h">
        <h2 id="lessons-h">{t('lessons', { used, total: c.lessons })}</h2>
        {data.lessons.length === 0 ? <p class="muted">{t('noLessons')}</p> : (
          <ul class="lessons">{[...data.lessons].reverse().map((l) => <LessonItem key={l.id} lesson={l} onDone={done} />)}</ul>
        )}
      </section>
      {schedule && schedule.mode && <ScheduleSection schedule={schedule} onDone={done} />}
      <RefundSection refunds={refunds} onDone={done} />
      {error ? <ErrorBox error={error} /> : null}
    </main>
  );
}

document.documentElement.lang = lang.get() === 'zh' ? 'zh-CN' : 'en';
const root = document.getElementById('app')!;
// Preact 11 renders next to what is there: drop the static loading text first.
root.textContent = '';
render(<App />, root);
