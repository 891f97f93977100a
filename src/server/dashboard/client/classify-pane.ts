import { ApiError, type Session } from './api.js';
import { parseCsv } from './csv.js';
import { byId, h } from './dom.js';
import { t } from './locale.js';
import type { LabelTable } from './label-table.js';

// The table shows a sample; the download has every row.
const SHOWN_ROWS = 200;

function barChart(field: string, values: string[]): HTMLElement {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const max = Math.max(1, ...counts.values());
  const bars = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([value, n]) =>
      h('div', { class: 'bar-row' }, h('span', { class: 'bar-label' }, value), h('span', { class: 'bar', style: `width:${Math.round((n / max) * 100)}%` }), h('span', { class: 'bar-count' }, String(n))),
    );
  return h('figure', { class: 'chart', 'data-testid': `chart-${field}` }, h('figcaption', {}, field), ...bars);
}

/** Upload a CSV to /api/classify, show the labeled rows and each label's distribution, offer the file. */
export function createClassifyPane(session: Session, table: LabelTable): void {
  const form = byId<HTMLFormElement>('classify-form');
  const file = byId<HTMLInputElement>('classify-file');
  const status = byId<HTMLElement>('classify-status');
  const rowsTable = byId<HTMLTableElement>('classify-table');
  const charts = byId<HTMLElement>('classify-charts');
  const download = byId<HTMLAnchorElement>('classify-download');

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) return;
    status.textContent = t('classify.running');
    rowsTable.replaceChildren();
    charts.replaceChildren();
    download.hidden = true;
    try {
      const res = await fetch('/api/classify', { method: 'POST', headers: { 'content-type': 'text/csv', authorization: `Bearer ${session.token}` }, body: chosen });
      // The bytes as sent go to the download (a BOM included, which Excel needs to read UTF-8);
      // the table parses them in the delimiter the server mirrored from the file.
      const bytes = await res.arrayBuffer();
      const text = new TextDecoder().decode(bytes);
      if (!res.ok) throw new ApiError(res.status, (JSON.parse(text) as { error: { message: string } }).error.message);
      const delimiter = res.headers.get('x-fmc-csv-delimiter') ?? ',';
      const [header, ...rows] = parseCsv(text, delimiter === 'tab' ? '\t' : delimiter).filter((r) => r.length > 1 || r[0] !== '');
      if (!header) throw new Error('empty answer');
      rowsTable.append(h('thead', {}, h('tr', {}, ...header.map((c) => h('th', {}, c)))), h('tbody', {}, ...rows.slice(0, SHOWN_ROWS).map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))));
      for (const { name: field } of table.fields) {
        const at = header.indexOf(field);
        if (at >= 0) charts.append(barChart(field, rows.map((r) => r[at] ?? '')));
      }
      URL.revokeObjectURL(download.href);
      download.href = URL.createObjectURL(new Blob([bytes], { type: 'text/csv' }));
      download.download = chosen.name.replace(/\.csv$/i, '') + '.classified.csv';
      download.hidden = false;
      status.textContent = `${t('classify.done', { count: rows.length })}${rows.length > SHOWN_ROWS ? ` ${t('classify.first-shown', { shown: SHOWN_ROWS })}` : ''}`;
    } catch (err) {
      status.textContent = t('classify.failed', { message: (err as Error).message });
    }
  });
}
