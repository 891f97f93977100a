// `fmc corrections stats`: how often agents override each field, and which predicted →
// corrected value pairs dominate, per provider (the tier whose labels were corrected).

import { LABEL_FIELDS, labelStrings, type LabelField } from '../labels.js';
import type { Correction } from './store.js';

export interface FieldOverrides {
  /** Corrections whose value differs from the prediction. */
  readonly overridden: number;
  /** overridden / corrections of this provider. */
  readonly rate: number;
  /** predicted → corrected, most frequent first. */
  readonly pairs: readonly { readonly from: string; readonly to: string; readonly count: number }[];
}

export interface ProviderStats {
  readonly corrections: number;
  readonly fields: Readonly<Record<LabelField, FieldOverrides>>;
}

export interface CorrectionStats {
  readonly total: number;
  /** Corrections of messages that had no labels to compare with. */
  readonly withoutOriginal: number;
  readonly byProvider: Readonly<Record<string, ProviderStats>>;
}

export function correctionStats(corrections: readonly Correction[], topPairs = 5): CorrectionStats {
  const groups = new Map<string, Correction[]>();
  let withoutOriginal = 0;
  for (const c of corrections) {
    if (!c.original) {
      withoutOriginal++;
      continue;
    }
    const key = c.provider ?? 'unknown';
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const byProvider: Record<string, ProviderStats> = {};
  for (const [provider, list] of [...groups].sort((a, b) => b[1].length - a[1].length)) {
    const fields = {} as Record<LabelField, FieldOverrides>;
    for (const field of LABEL_FIELDS) {
      const pairs = new Map<string, number>();
      for (const c of list) {
        const from = labelStrings(c.original!)[field];
        const to = labelStrings(c.labels)[field];
        if (from !== to) pairs.set(`${from}\0${to}`, (pairs.get(`${from}\0${to}`) ?? 0) + 1);
      }
      const overridden = [...pairs.values()].reduce((a, b) => a + b, 0);
      fields[field] = {
        overridden,
        rate: overridden / list.length,
        pairs: [...pairs]
          .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
          .slice(0, topPairs)
          .map(([k, count]) => {
            const [from, to] = k.split('\0') as [string, string];
            return { from, to, count };
          }),
      };
    }
    byProvider[provider] = { corrections: list.length, fields };
  }
  return { total: corrections.length, withoutOriginal, byProvider };
}
