import type { ConversationState, ConversationView } from '../../relay/store.js';
import { api, type Session } from './api.js';

// The agent console's REST calls (routes/console.ts), typed once for the page's modules.

export type Urgency = 'low' | 'medium' | 'high';

export interface StaffMember {
  readonly id: number;
  readonly username: string;
  readonly displayName?: string;
}

export interface ConsoleState {
  readonly slaMinutes: Readonly<Record<Urgency, number>>;
  readonly reads: Readonly<Record<string, number>>;
  readonly agents: readonly StaffMember[];
}

export interface SearchHit {
  readonly seq: number;
  readonly excerpt: string;
}

export type FoundConversation = ConversationView & { readonly hits: readonly SearchHit[] };

export interface ConsoleApi {
  state(): Promise<ConsoleState>;
  assign(conversationId: string, assignee: string | null): Promise<ConversationView>;
  setStatus(conversationId: string, status: ConversationState): Promise<ConversationView>;
  /** Fire and forget: a read mark lost to a network blip is redone by the next message. */
  markRead(conversationId: string, seq: number): void;
  search(query: URLSearchParams): Promise<{ conversations: FoundConversation[]; truncated: boolean }>;
}

export function consoleApi(session: Session): ConsoleApi {
  const token = session.token;
  return {
    state: () => api<ConsoleState>('/api/console', { token }),
    assign: (id, assignee) => api<ConversationView>(`/api/conversations/${encodeURIComponent(id)}/assign`, { method: 'POST', token, json: { assignee } }),
    // `closed` goes through /close, which customers may use on their own conversations too.
    setStatus: (id, status) =>
      status === 'closed'
        ? api<ConversationView>(`/api/conversations/${encodeURIComponent(id)}/close`, { method: 'POST', token })
        : api<ConversationView>(`/api/conversations/${encodeURIComponent(id)}/status`, { method: 'POST', token, json: { status } }),
    markRead(id, seq) {
      void fetch(`/api/conversations/${encodeURIComponent(id)}/read`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ seq }),
      }).catch(() => undefined);
    },
    search: (query) => api(`/api/conversations/search?${query.toString()}`, { token }),
  };
}

/** The name a person is shown as: their display name, else their login. */
export const shownName = (who: { readonly username: string; readonly displayName?: string }): string => who.displayName ?? who.username;
