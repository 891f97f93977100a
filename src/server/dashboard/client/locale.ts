import { CATALOGUE, isLocale, translate, type Locale, type MessageKey, type Params } from './catalogue.js';

// The page's language in the browser: the server rendered the page in the language it
// negotiated (<html lang>); a choice made with the switch is kept in localStorage and wins.
// Dates, times and numbers go through Intl in the same language.

const KEY = 'fmc.locale';
let current: Locale = 'en';
const listeners = new Set<() => void>();

export const locale = (): Locale => current;

export function t(key: MessageKey, params?: Params): string {
  return translate(current, key, params);
}

/** Every `data-i18n` (text), `data-i18n-placeholder` and `data-i18n-label` (aria-label) under root, in the current language. */
export function applyStatic(root: ParentNode = document): void {
  // An element whose text is drawn by code has no key: a key names static text only.
  root.querySelectorAll<HTMLElement>('[data-i18n]').forEach((node) => (node.textContent = t(node.dataset.i18n as MessageKey)));
  root.querySelectorAll<HTMLElement>('[data-i18n-placeholder]').forEach((node) => node.setAttribute('placeholder', t(node.dataset.i18nPlaceholder as MessageKey)));
  root.querySelectorAll<HTMLElement>('[data-i18n-label]').forEach((node) => node.setAttribute('aria-label', t(node.dataset.i18nLabel as MessageKey)));
}

export function setLocale(next: Locale): void {
  current = next;
  document.documentElement.lang = next;
  document.title = t('app.title');
  applyStatic();
  for (const listener of listeners) listener();
}

/** Called after each language change (lists and messages redraw their text). */
export function onLocaleChange(listener: () => void): void {
  listeners.add(listener);
}

/** Starts in the saved choice, else the page's language; wires the switch. */
export function initLocale(select: HTMLSelectElement): void {
  const saved = localStorage.getItem(KEY);
  const start = isLocale(saved) ? saved : isLocale(document.documentElement.lang) ? document.documentElement.lang : 'en';
  select.replaceChildren(
    ...(Object.keys(CATALOGUE) as Locale[]).map((l) => {
      const option = document.createElement('option');
      option.value = l;
      // Each language named in itself: someone who cannot read the current one finds theirs.
      option.textContent = new Intl.DisplayNames([l], { type: 'language' }).of(l) ?? l;
      return option;
    }),
  );
  select.value = start;
  select.addEventListener('change', () => {
    if (!isLocale(select.value)) return;
    localStorage.setItem(KEY, select.value);
    setLocale(select.value);
  });
  if (start !== document.documentElement.lang) setLocale(start);
  else current = start;
}

export const formatTime = (iso: string): string => new Intl.DateTimeFormat(current, { hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
export const formatDateTime = (iso: string): string => new Intl.DateTimeFormat(current, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
export const formatNumber = (n: number): string => new Intl.NumberFormat(current).format(n);

/** A wait as people say it: "3 min", "2 h 05", "3 jours". */
export function formatDuration(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 60) return new Intl.NumberFormat(current, { style: 'unit', unit: 'minute', unitDisplay: 'short' }).format(minutes);
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${new Intl.NumberFormat(current, { style: 'unit', unit: 'hour', unitDisplay: 'short' }).format(hours)} ${String(minutes % 60).padStart(2, '0')}`;
  return new Intl.NumberFormat(current, { style: 'unit', unit: 'day', unitDisplay: 'long' }).format(Math.floor(hours / 24));
}
