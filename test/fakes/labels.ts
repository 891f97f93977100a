// What the fakes "decide" for a tweet: a fixed function of the text, so a test can tell an
// LLM answer (confidence 0.93 / 0.91) from the rules' and check it landed on the right row.

export interface FakeItem {
  readonly id: string;
  readonly text: string;
}

export function fakeLabels(text: string): Record<string, unknown> {
  return /panne|coupure|plus de/.test(text)
    ? { is_claim: true, sentiment: 'negative', topic: 'fibre', incident: 'outage', urgency: 'high', confidence: 0.93 }
    : { is_claim: false, sentiment: 'neutral', topic: 'other', incident: 'none', urgency: 'low', confidence: 0.91 };
}

export const answersFor = (items: readonly FakeItem[]): Record<string, unknown>[] => items.map((it) => ({ id: it.id, ...fakeLabels(it.text) }));

/** The batch the tiers send as JSON ([{id, text}]) in the user turn. */
export function batchFrom(text: string | undefined): FakeItem[] {
  try {
    const parsed: unknown = JSON.parse(text ?? '');
    return Array.isArray(parsed) ? (parsed as FakeItem[]) : [];
  } catch {
    return [];
  }
}
