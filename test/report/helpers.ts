import { writeFileSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import { OUTPUT_COLUMNS } from '../../src/labels.js';

// Classified files as fmc classify writes them, built row by row for the report tests.

export interface Row {
  text: string;
  date: string;
  is_claim: boolean;
  sentiment: string;
  topic: string;
  incident: string;
  urgency: string;
  confidence: number;
  provider: string;
}

export const COLUMNS: readonly string[] = ['tweet_id', 'text', 'date', ...OUTPUT_COLUMNS];

const DEFAULT: Row = { text: 'bonjour', date: '2024-03-04 10:00:00', is_claim: false, sentiment: 'neutral', topic: 'other', incident: 'none', urgency: 'low', confidence: 0.8, provider: 'rules' };

export function writeClassified(path: string, rows: readonly Partial<Row>[], columns: readonly string[] = COLUMNS): void {
  const records = rows.map((r, i) => {
    const row: Record<string, unknown> = { tweet_id: String(i + 1), ...DEFAULT, ...r };
    return columns.map((c) => (typeof row[c] === 'boolean' ? String(row[c]) : (row[c] ?? '')));
  });
  writeFileSync(path, stringify([columns as string[], ...records]));
}

const pad = (n: number): string => String(n).padStart(2, '0');

/**
 * 30 days of March 2024 (Paris time, no offset in the cells): each day ten rows, of which
 * 3–4 outage claims; on 2024-03-25 thirty more outage claims: one known spike.
 */
export function spikeRows(): Partial<Row>[] {
  const rows: Partial<Row>[] = [];
  for (let day = 1; day <= 30; day++) {
    for (let k = 0; k < 10; k++) {
      const outage = k < 3 + (day % 2);
      rows.push({
        date: `2024-03-${pad(day)} ${pad(9 + k)}:15:00`,
        text: outage ? `plus de réseau depuis ce matin, panne fibre (${day}/${k})` : `merci pour l'info ${day}/${k}`,
        is_claim: outage,
        sentiment: outage ? 'negative' : 'positive',
        topic: outage ? 'fibre' : 'other',
        incident: outage ? 'outage' : 'none',
        urgency: outage ? 'medium' : 'low',
      });
    }
  }
  for (let k = 0; k < 30; k++) {
    rows.push({ date: `2024-03-25 ${pad(8 + (k % 12))}:40:00`, text: `Panne générale internet coupé ${k}`, is_claim: true, sentiment: 'negative', topic: 'fibre', incident: 'outage', urgency: 'high', confidence: 0.9 });
  }
  return rows;
}
