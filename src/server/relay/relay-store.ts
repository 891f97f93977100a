import type { StatsMessage } from '../../admin/stats.js';
import type { Correction, CorrectionInput } from '../../corrections/store.js';
import type { SqliteCorrectionStore } from '../../store/sqlite/corrections.js';
import type { User } from '../../store/users.js';
import type { LabelResult } from '../../labels.js';
import type { Assignee, ChatMessage, ConversationState, ConversationStatus, ConversationStore, ConversationSummary, Sender } from './store.js';

/** Who owns a conversation, whether it is open and its last seq: read without decrypting anything. */
export interface ConversationHead {
  readonly customerId: number;
  readonly status: ConversationStatus;
  readonly lastSeq: number;
}

export interface AppendInput {
  readonly conversationId: string;
  readonly sender: Sender;
  readonly clientId: string;
  readonly text: string;
  readonly attachmentId?: string | undefined;
}

/** A send without a file, for `RelayStore.send`. */
export interface SendInput {
  readonly conversationId: string;
  readonly sender: Sender;
  /** Agents and admins may send into any conversation; a customer only into their own. */
  readonly staff: boolean;
  readonly clientId: string;
  readonly text: string;
}

/** What a send came to: the relay answers each as its step-by-step checks would. */
export type SendOutcome =
  | { readonly kind: 'stored'; readonly message: ChatMessage }
  /** This sender's clientId was stored before: the same seq and id are acknowledged again. */
  | { readonly kind: 'duplicate'; readonly seq: number; readonly id: number }
  /** No such conversation, or not one this sender may see. */
  | { readonly kind: 'missing' }
  | { readonly kind: 'closed' }
  /** The sender's message budget is spent: nothing stored, retry after `waitMs`. */
  | { readonly kind: 'limited'; readonly waitMs: number };

export interface ChatCorrectionInput extends CorrectionInput {
  readonly conversationId: string;
  readonly seq: number;
  readonly text: string;
}

/**
 * The relay's storage seam, async so that one interface covers the embedded SQLite data DB
 * and PostgreSQL. Conversations, messages, labels, corrections and the per-conversation
 * wrapped data keys live behind it; every text is ciphertext in either backend.
 *
 * New per-conversation state (status, owner, unread, attachments) goes here as more methods:
 * the relay never sees SQL, so each backend adds its own query.
 */
export interface RelayStore {
  create(customer: User): Promise<ConversationSummary>;
  head(id: string): Promise<ConversationHead | undefined>;
  summary(id: string): Promise<ConversationSummary | undefined>;
  /** Open conversations, then up to `closedLimit` recently closed ones, by open urgency. */
  list(filter: { customerId?: number; closedLimit: number }): Promise<ConversationSummary[]>;
  /** Every conversation (of this customer), most recent activity first: what search and filters look through. */
  all(filter: { customerId?: number }): Promise<ConversationSummary[]>;
  /** False when it was already closed (or does not exist). */
  close(id: string): Promise<boolean>;
  /** Moves it to this state (a reopen, a close, pending); false when it was already there or does not exist. */
  setState(id: string, state: ConversationState): Promise<boolean>;
  /** Sets the owner (null = nobody); false when the conversation does not exist. */
  assign(id: string, assignee: Assignee | null): Promise<boolean>;
  /** Records that `userId` has read up to `seq` (never backwards). */
  markRead(userId: number, conversationId: string, seq: number): Promise<void>;
  /** How far this user has read each conversation they opened. */
  reads(userId: number): Promise<Map<string, number>>;
  /**
   * Stores a message with the next seq, assigned in the same transaction (so a rollback uses
   * no seq), or returns the one already stored under this sender's clientId (`duplicate`).
   * Undefined when the conversation is not open. `attachmentId` (checked by the caller) is
   * linked to the new message in the same transaction, so no reader ever sees the message
   * without its file; when it was taken meanwhile, FMC_ERR_ATTACHMENT and nothing is stored.
   */
  append(input: AppendInput): Promise<{ message: ChatMessage; duplicate: boolean } | undefined>;
  /**
   * A send in one step (PostgreSQL: one round trip): the checks the relay otherwise makes one
   * by one (may this sender see it, the clientId stored before, open, the per-user budget),
   * in that order, then the append. Optional: a store without it gets those calls.
   */
  send?(input: SendInput): Promise<SendOutcome>;
  /** The message this sender already stored under `clientId`, if any (seq and id only). */
  existing(conversationId: string, senderId: number, clientId: string): Promise<{ seq: number; id: number } | undefined>;
  /** Messages with seq > afterSeq, in seq order. */
  after(conversationId: string, afterSeq: number, limit: number): Promise<ChatMessage[]>;
  /** Stores a customer message's labels and folds them into the conversation's triage. */
  /** When each message since `since` (ms) was sent and whether by staff: the admin statistics, no text read. */
  messageTimes(since: number): Promise<StatsMessage[]>;
  setLabels(conversationId: string, seq: number, labels: LabelResult): Promise<void>;
  /** Records an agent's correction and relabels the message (triage recomputed), in one transaction. */
  correctChat(input: ChatCorrectionInput, labels: LabelResult): Promise<Correction>;
}

/**
 * The SQLite data DB behind the async seam: the synchronous store is unchanged, so a single
 * server keeps its one-transaction-per-call behaviour and its speed.
 */
export function sqliteRelayStore(store: ConversationStore, corrections: Pick<SqliteCorrectionStore, 'recordChat'>, lastSeq: (id: string) => number): RelayStore {
  return {
    create: async (customer) => store.create(customer),
    async head(id) {
      const head = store.head(id);
      return head && { ...head, lastSeq: lastSeq(id) };
    },
    summary: async (id) => store.summary(id),
    list: async (filter) => store.list(filter),
    all: async (filter) => store.all(filter),
    close: async (id) => store.close(id),
    setState: async (id, state) => store.setState(id, state),
    assign: async (id, assignee) => store.assign(id, assignee && assignee.id),
    markRead: async (userId, conversationId, seq) => store.markRead(userId, conversationId, seq),
    reads: async (userId) => store.reads(userId),
    append: async (input) => store.append(input),
    existing: async (conversationId, senderId, clientId) => store.existing(conversationId, senderId, clientId),
    after: async (conversationId, afterSeq, limit) => store.after(conversationId, afterSeq, limit),
    messageTimes: async (since) => store.messageTimes(since),
    setLabels: async (conversationId, seq, labels) => store.setLabels(conversationId, seq, labels),
    correctChat: async (input, labels) => corrections.recordChat(input, () => store.relabel(input.conversationId, input.seq, labels)),
  };
}
