import { signal } from './signal';

export type Lang = 'zh' | 'en';

const stored = typeof localStorage !== 'undefined' ? localStorage.getItem('lang') : null;
/** Chinese by default; the choice is remembered on this device. */
export const lang = signal<Lang>(stored === 'en' ? 'en' : 'zh');

export function setLang(l: Lang): void {
  localStorage.setItem('lang', l);
  document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
  lang.set(l);
}

export type Dict = Record<string, { zh: string; en: string }>;

/** `t(dict, key, { n: 3 })`: the text in the current language, `{n}` replaced. */
export function translate(dict: Dict, key: string, vars: Record<string, string | number> = {}): string {
  const entry = dict[key];
  const text = entry ? entry[lang.get()] : key;
  return text.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? `{${k}}`));
}
