import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, call } from '../common/api';
import { lang, setLang } from '../common/i18n';
import { useSignal } from '../common/signal';
import { Dashboard } from './dashboard';
import { InstitutionList, InstitutionPage } from './institutions';
import { Queues } from './queues';
import { session, signIn, signOut, signOutReason } from './session';
import { notice, t } from './ui';
import './console.css';

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

function SignIn() {
  const reason = useSignal(signOutReason);
  const [key, setKey] = useState('');
  const [district, setDistrict] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!/^\d{6}$/.test(district)) return setError(t('badCode'));
    setBusy(true);
    setError(null);
    const auth = { authorization: `Bearer ${key.trim()}` };
    try {
      // The district's audit is what a regulator (or admin) of that district may read: it checks key, role and scope at once.
      await call(`/audit/districts/${district}`, auth);
      const admin = await call('/admin/banks', auth).then(() => true, () => false);
      signIn({ key: key.trim(), district, admin });
      location.hash = '#/dashboard';
    } catch (err) {
      const e2 = err as ApiError;
      setError(e2.status === 401 ? t('badKey') : e2.status === 403 ? t('wrongRole') : e2.status === 404 ? t('outOfScope') : t('apiError', { message: e2.message, code: e2.code, id: e2.requestId ?? '–' }));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <form onSubmit={submit} aria-labelledby="signin-h">
        <h1 id="signin-h">{t('app')}</h1>
        {reason && <p class="msg error" role="alert">{t(reason)}</p>}
        <label for="api-key">{t('apiKey')}</label>
        <input id="api-key" name="api-key" type="password" autoComplete="off" required value={key} onInput={(e) => setKey((e.target as HTMLInputElement).value)} />
        <label for="district">{t('district')}</label>
        <input id="district" name="district" inputMode="numeric" pattern="\d{6}" maxLength={6} required value={district} onInput={(e) => setDistrict((e.target as HTMLInputElement).value.trim())} />
        <p class="muted">{t('signInHelp')}</p>
        {error && <p class="msg error" role="alert">{error}</p>}
        <button type="submit" class="primary" disabled={busy}>{t('signIn')}</button>
      </form>
    </main>
  );
}

function Shell() {
  useSignal(lang);
  const s = useSignal(session);
  const hash = useHash();
  const done = useSignal(notice);
  useEffect(() => notice.set(null), [hash]);
  if (!s) return <><LangSwitch /><SignIn /></>;
  const parts = hash.replace(/^#\/?/, '').split('/');
  const page = parts[0] || 'dashboard';
  const nav = (id: string, label: string) => <a href={`#/${id}`} aria-current={page === id ? 'page' : undefined}>{label}</a>;
  return (
    <>
      <header class="top">
        <strong>{t('app')}</strong>
        <nav aria-label="main">
          {nav('dashboard', t('dashboard'))}
          {nav('institutions', t('institutions'))}
          {nav('queues', t('queues'))}
          {s.admin && <a href="/admin/queues" target="_blank" rel="noopener">{t('jobQueues')}</a>}
        </nav>
        <span class="who">{s.district}</span>
        <LangSwitch />
        <button type="button" onClick={() => signOut()}>{t('signOut')}</button>
      </header>
      <main>
        <div aria-live="polite">{done && <p class="msg ok" role="status" data-testid="notice">{done}</p>}</div>
        {page === 'institutions' && parts[1] ? <InstitutionPage id={parts[1]} /> : page === 'institutions' ? <InstitutionList district={s.district} /> : page === 'queues' ? <Queues district={s.district} /> : <Dashboard district={s.district} />}
      </main>
    </>
  );
}

function LangSwitch() {
  return <button type="button" class="lang" onClick={() => setLang(lang.get() === 'zh' ? 'en' : 'zh')}>{t('switchLang')}</button>;
}

document.documentElement.lang = lang.get() === 'zh' ? 'zh-CN' : 'en';
const root = document.getElementById('app')!;
// Preact 11 renders next to what is there: drop the static loading text first.
root.textContent = '';
render(<Shell />, root);
