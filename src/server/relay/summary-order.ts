// Summaries are read from the store when something changes, and on PostgreSQL two reads in
// flight on two pool connections may answer in either order: without this, an agent's list
// could show the state before the latest message or label. Each summary carries its
// conversation's version (one more per change of the row); a summary older than one already
// sent from this instance is dropped. The dashboard keeps the same rule against the list it
// holds (it may have fetched a later state than a frame still on its way).

import type { ConversationSummary } from './store.js';

export interface SummaryOrder {
  /** False when a later summary of this conversation was already let through. */
  fresh(summary: Pick<ConversationSummary, 'id' | 'version'>): boolean;
}

/** `remember`: conversations tracked at once; past it the memory starts over (clients still check). */
export function summaryOrder(remember = 50_000): SummaryOrder {
  const latest = new Map<string, number>();
  return {
    fresh({ id, version }) {
      const seen = latest.get(id);
      if (seen !== undefined && seen > version) return false;
      if (seen === undefined && latest.size >= remember) latest.clear();
      latest.set(id, version);
      return true;
    },
  };
}
