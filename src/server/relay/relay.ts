import type { AttachmentLinks } from '../../attachments/store.js';
import { applyPatch, type LabelPatch } from '../../corrections/labels.js';
import type { Correction, CorrectionStore } from '../../corrections/store.js';
import { isStorageError } from '../../store/sqlite/data-db.js';
import type { User } from '../../store/users.js';
import { FmcError } from '../../errors.js';
import type { LabelResult } from '../../labels.js';
import type { Logger } from '../../log.js';
import { matchesFilter, STAFF_FILTERS, type ConversationFilter } from '../console/filter.js';
import { searchMessages, type SearchHit } from '../console/search.js';
import type { ChatClassifier } from './chat-classifier.js';
import type { Peer } from './peer.js';
import { messageFrame, type ClientFrame, type ServerFrame } from './protocol.js';
import type { RateLimiter } from './rate-limit.js';
import type { Rooms } from './rooms.js';
import { byOpenRecency, byOpenUrgency, type ChatMessage, type ConversationState, type ConversationStore, type ConversationSummary, type ConversationView } from './store.js';

export interface RelayLimits {
  /** Characters per chat message. */
  readonly maxTextLength: number;
  /** Messages one `resume` replays before answering `more: true`. */
  readonly replayLimit: number;
  /**
   * Text characters one `resume` replays before `more: true`: a replay is sent at once, and
   * must stay well under the send queue's bound or a healthy client would be cut as slow.
   */
  readonly replayChars: number;
  /** Recently closed conversations listed after the open ones. */
  readonly closedListLimit: number;
}

export interface RelayDeps {
  readonly store: ConversationStore;
  readonly rooms: Rooms;
  readonly rate: RateLimiter;
  readonly classifier: ChatClassifier;
  readonly limits: RelayLimits;
  readonly logger: Logger;
  /** Called with each new (not duplicate) message, and each customer message's labels (metrics). */
  readonly onStored?: (message: ChatMessage) => void;
  readonly onLabels?: (labels: LabelResult, message: ChatMessage) => void;
  /** Agents' corrections; absent = `correct` refuses. */
  readonly corrections?: CorrectionStore;
  /** The version (model + prompt/lexicon hash) of the tier that produced labels from `provider`. */
  readonly versionOf?: (provider: string) => string | null;
  /** A store write failed for storage reasons (disk full), or one succeeded: health follows these. */
  readonly onWriteFailure?: (err: unknown) => void;
  readonly onWrite?: () => void;
  /** Files sent with messages; absent = a send naming an attachment is refused. */
  readonly attachments?: AttachmentLinks;
  /** Who may be given a conversation (assign); absent = `assign` refuses every name. */
  readonly findUser?: (username: string) => User | undefined;
}

// How soon a client may resend a message the database refused: storage trouble rarely clears at once.
const STORAGE_RETRY_MS = 1000;

/** The relay's operations, shared by the REST routes and the /ws frames. */
export interface Relay {
  openConversation(user: User): ConversationView;
  /** Agents and admins: every conversation, most urgent open first; customers: their own, without triage, most recent first. */
  listConversations(user: User): ConversationView[];
  messages(user: User, conversationId: string, afterSeq: number, limit: number): ChatMessage[];
  closeConversation(user: User, conversationId: string): ConversationView;
  /** Agents and admins: open (a reopen), pending or closed; the new summary goes to the room and the watchers. */
  setState(user: User, conversationId: string, state: ConversationState): ConversationView;
  /** Agents and admins: gives it to an agent or admin by user name, or to nobody (null). */
  assign(user: User, conversationId: string, assignee: string | null): ConversationView;
  handle(peer: Peer, frame: ClientFrame): void;
  /**
   * An agent's or admin's correction of a customer message's labels: stored with the
   * original, then the new labels go to the room and the new triage to the watchers.
   */
  correct(user: User, conversationId: string, seq: number, patch: LabelPatch): Correction;
  /** Records how far the user has read a conversation (up to its last message). */
  markRead(user: User, conversationId: string, seq: number): void;
  /** How far the user has read each conversation, by id. */
  reads(user: User): Record<string, number>;
  /**
   * The conversations the user may see that pass the filter and, with a text, hold a message
   * containing every word of it (decrypted in memory, never indexed), in the list's order.
   */
  search(user: User, filter: ConversationFilter, text: string): SearchResult;
  /** Resolves when no classification is in flight (shutdown waits for it before closing the DB). */
  idle(): Promise<void>;
}

export interface SearchResult {
  readonly conversations: (ConversationView & { readonly hits: readonly SearchHit[] })[];
  /** Messages decrypted to answer. */
  readonly scanned: number;
  /** True when the scan stopped at the limit (`searchMessages`) or the results at `searchResults`. */
  readonly truncated: boolean;
}

// One search decrypts at most this many messages and returns at most this many conversations.
const SEARCH_MESSAGES = 50_000;
const SEARCH_RESULTS = 200;
const SEARCH_PAGE = 500;
const HITS_PER_CONVERSATION = 3;

const isStaff = (user: User): boolean => user.role === 'agent' || user.role === 'admin';
const staffOnly = (peer: Peer): boolean => isStaff(peer.user);

/** Customers are not shown their triage or staff logins: not in their list, the close answer or any frame. */
function withoutTriage(conversation: ConversationSummary): ConversationView {
  const { urgency: _urgency, claim: _claim, topics: _topics, assignee: _assignee, ...view } = conversation;
  return view;
}
const viewFor = (user: User, conversation: ConversationSummary): ConversationView => (isStaff(user) ? conversation : withoutTriage(conversation));

export function createRelay(deps: RelayDeps): Relay {
  const { store, rooms, rate, classifier, limits, logger } = deps;
  const inFlight = new Set<Promise<void>>();

  /** Customers see their own conversations only; someone else's is "not found", not "forbidden". */
  function visible(user: User, conversationId: string): { customerId: number; status: 'open' | 'closed' } {
    const head = store.head(conversationId);
    if (!head || (!isStaff(user) && head.customerId !== user.id)) {
      throw new FmcError('FMC_ERR_NOT_FOUND', `no conversation ${conversationId} that ${user.username} may see`);
    }
    return head;
  }

  /** Messages with the files they show (the store keeps messages; attachments live apart). */
  function withAttachments(conversationId: string, messages: ChatMessage[]): ChatMessage[] {
    if (!deps.attachments || messages.length === 0) return messages;
    const found = deps.attachments.describe(conversationId, messages[0]!.seq, messages.at(-1)!.seq);
    return found.size === 0 ? messages : messages.map((m) => (found.has(m.seq) ? { ...m, attachment: found.get(m.seq)! } : m));
  }

  function announce(conversationId: string): void {
    if (!rooms.hasWatchers()) return;
    const conversation = store.summary(conversationId);
    if (conversation) rooms.publishToWatchers({ type: 'conversation', conversation });
  }

  /** A conversation's new state to its room (each as their role may see it) and to the watchers. */
  function publishChange(conversationId: string): ConversationSummary {
    const conversation = store.summary(conversationId)!;
    const frame: ServerFrame = { type: 'conversation', conversation };
    const customerFrame: ServerFrame = { type: 'conversation', conversation: withoutTriage(conversation) };
    // Watchers hear of it through publishToWatchers; the rest of the room, each as their role may see it.
    rooms.publish(conversationId, frame, (peer) => !peer.watching && isStaff(peer.user));
    rooms.publish(conversationId, customerFrame, (peer) => !peer.watching && !isStaff(peer.user));
    rooms.publishToWatchers(frame);
    return conversation;
  }

  function classify(message: ChatMessage): void {
    const job = classifier
      .classify(message.conversationId, message.seq, message.text)
      .then((labels) => {
        store.setLabels(message.conversationId, message.seq, labels);
        deps.onLabels?.(labels, message);
        rooms.publish(message.conversationId, { type: 'labels', conversationId: message.conversationId, seq: message.seq, labels }, staffOnly);
        announce(message.conversationId);
      })
      // Never the text in a log line: only where it was.
      .catch((err: unknown) => {
        if (isStorageError(err)) deps.onWriteFailure?.(err);
        logger.warn({ conversationId: message.conversationId, seq: message.seq, err: (err as Error).message }, 'chat message not classified');
      })
      .finally(() => inFlight.delete(job));
    inFlight.add(job);
  }

  function send(peer: Peer, frame: Extract<ClientFrame, { type: 'send' }>): void {
    const { conversationId, clientId, text, attachmentId } = frame;
    const head = visible(peer.user, conversationId);
    const sender = { id: peer.user.id, username: peer.user.username, role: peer.user.role, ...(peer.user.displayName !== undefined && { displayName: peer.user.displayName }) };
    // A retry of an already-stored clientId is acknowledged again, whatever happened since
    // (the conversation closed, the budget ran out): the client may only have missed the ack.
    const earlier = store.existing(conversationId, sender.id, clientId);
    if (earlier) {
      peer.send({ type: 'ack', conversationId, clientId, seq: earlier.seq, id: earlier.id, duplicate: true });
      return;
    }
    if (text.trim().length === 0) throw new FmcError('FMC_ERR_BAD_REQUEST', 'text is empty');
    if (text.length > limits.maxTextLength) throw new FmcError('FMC_ERR_TOO_LARGE', `text is ${text.length} characters; the limit is ${limits.maxTextLength}`);
    if (head.status !== 'open') throw new FmcError('FMC_ERR_CONVERSATION_CLOSED', `conversation ${conversationId} is closed; open a new one (POST /api/conversations)`);
    if (attachmentId !== undefined) {
      if (!deps.attachments) throw new FmcError('FMC_ERR_ATTACHMENT', 'this server takes no attachments');
      deps.attachments.check(conversationId, sender.id, attachmentId);
    }
    const wait = rate.take(peer.user.id);
    if (wait > 0) {
      peer.send({ type: 'error', code: 'FMC_ERR_RATE_LIMITED', message: `too many messages; retry in ${wait} ms`, clientId, conversationId, retryAfterMs: wait });
      return;
    }
    let stored;
    try {
      stored = store.append({ conversationId, sender, clientId, text });
    } catch (err) {
      if (!isStorageError(err)) throw err;
      // The append is one transaction: nothing was stored and no seq was used, so the same
      // clientId sent again gets the next seq, exactly once.
      deps.onWriteFailure?.(err);
      logger.error({ conversationId, code: (err as { code?: string }).code }, 'chat message not stored');
      peer.send({ type: 'error', code: 'FMC_ERR_STORAGE', message: `the message was not stored (the server cannot write: ${(err as { code?: string }).code}); send it again with the same clientId`, clientId, conversationId, retryAfterMs: STORAGE_RETRY_MS });
      return;
    }
    deps.onWrite?.();
    if (!stored) throw new FmcError('FMC_ERR_CONVERSATION_CLOSED', `conversation ${conversationId} is closed; open a new one (POST /api/conversations)`);
    const { duplicate } = stored;
    let message = stored.message;
    if (!duplicate && attachmentId !== undefined && deps.attachments) {
      deps.attachments.link(conversationId, attachmentId, message.seq);
      message = withAttachments(conversationId, [message])[0]!;
    }
    peer.send({ type: 'ack', conversationId, clientId, seq: message.seq, id: message.id, duplicate });
    if (duplicate) return;
    deps.onStored?.(message);
    rooms.publish(conversationId, messageFrame(message));
    announce(conversationId);
    if (message.sender.role === 'customer') classify(message);
  }

  function resume(peer: Peer, conversationId: string, afterSeq: number): void {
    visible(peer.user, conversationId);
    // Joining and replaying in one synchronous step: no message can fall between the two.
    rooms.join(peer, conversationId);
    const replay = withAttachments(conversationId, store.after(conversationId, afterSeq, limits.replayLimit + 1));
    let count = 0;
    let chars = 0;
    // At least one message, so a single long one cannot stall the replay.
    while (count < Math.min(replay.length, limits.replayLimit) && (count === 0 || chars + replay[count]!.text.length <= limits.replayChars)) {
      chars += replay[count]!.text.length;
      count++;
    }
    const more = count < replay.length;
    const shown = replay.slice(0, count);
    for (const message of shown) {
      peer.send(messageFrame(message));
      if (message.labels && isStaff(peer.user)) peer.send({ type: 'labels', conversationId, seq: message.seq, labels: message.labels });
    }
    peer.send({ type: 'resumed', conversationId, lastSeq: shown.at(-1)?.seq ?? afterSeq, more });
  }

  function correct(user: User, conversationId: string, seq: number, patch: LabelPatch): Correction {
    if (!isStaff(user)) throw new FmcError('FMC_ERR_FORBIDDEN', 'only agents and admins correct labels');
    if (!deps.corrections) throw new FmcError('FMC_ERR_NOT_FOUND', 'corrections are not enabled on this server');
    visible(user, conversationId);
    const [message] = store.after(conversationId, seq - 1, 1);
    if (!message || message.seq !== seq) throw new FmcError('FMC_ERR_NOT_FOUND', `no message ${seq} in conversation ${conversationId}`);
    if (message.sender.role !== 'customer') throw new FmcError('FMC_ERR_CORRECTION', `message ${seq} is from ${message.sender.role} ${message.sender.username}: only customer messages have labels`);
    if (!message.labels) throw new FmcError('FMC_ERR_CORRECTION', `message ${seq} has no labels yet (it is being classified); retry in a moment`);
    const labels = applyPatch(message.labels, patch);
    const correction = deps.corrections.recordChat(
      { conversationId, seq, text: message.text, user, original: message.labels, corrected: labels, version: deps.versionOf?.(message.labels.provider) ?? null },
      () => store.relabel(conversationId, seq, labels),
    );
    rooms.publish(conversationId, { type: 'labels', conversationId, seq, labels }, staffOnly);
    announce(conversationId);
    return correction;
  }

  return {
    correct,
    openConversation(user) {
      if (user.role !== 'customer') throw new FmcError('FMC_ERR_FORBIDDEN', 'only customers open conversations');
      const conversation = store.create(user);
      rooms.publishToWatchers({ type: 'conversation', conversation });
      return withoutTriage(conversation);
    },
    listConversations(user) {
      if (isStaff(user)) return store.list({ closedLimit: limits.closedListLimit });
      return store.list({ customerId: user.id, closedLimit: limits.closedListLimit }).map(withoutTriage).sort(byOpenRecency);
    },
    messages(user, conversationId, afterSeq, limit) {
      visible(user, conversationId);
      const messages = withAttachments(conversationId, store.after(conversationId, afterSeq, limit));
      return isStaff(user) ? messages : messages.map(({ labels: _hidden, ...m }) => m);
    },
    closeConversation(user, conversationId) {
      visible(user, conversationId);
      store.close(conversationId);
      return viewFor(user, publishChange(conversationId));
    },
    setState(user, conversationId, state) {
      if (!isStaff(user)) throw new FmcError('FMC_ERR_FORBIDDEN', 'only agents and admins reopen a conversation or mark it pending');
      visible(user, conversationId);
      store.setState(conversationId, state);
      return publishChange(conversationId);
    },
    assign(user, conversationId, assignee) {
      if (!isStaff(user)) throw new FmcError('FMC_ERR_FORBIDDEN', 'only agents and admins assign conversations');
      visible(user, conversationId);
      let assigneeId: number | null = null;
      if (assignee !== null) {
        const found = deps.findUser?.(assignee);
        if (!found) throw new FmcError('FMC_ERR_ASSIGNEE', `no user ${JSON.stringify(assignee)}; assign to an agent or admin (fmc users list)`);
        if (!isStaff(found)) throw new FmcError('FMC_ERR_ASSIGNEE', `${found.username} is a customer; conversations are assigned to agents or admins`);
        assigneeId = found.id;
      }
      store.assign(conversationId, assigneeId);
      return publishChange(conversationId);
    },
    markRead(user, conversationId, seq) {
      visible(user, conversationId);
      const last = store.summary(conversationId)?.lastSeq ?? 0;
      store.markRead(user.id, conversationId, Math.min(seq, last));
    },
    reads: (user) => Object.fromEntries(store.reads(user.id)),
    search(user, filter, text) {
      const staff = isStaff(user);
      const refused = STAFF_FILTERS.filter((k) => filter[k] !== undefined);
      if (!staff && refused.length > 0) throw new FmcError('FMC_ERR_FORBIDDEN', `customers cannot filter by ${refused.join(', ')}`);
      const candidates = store.all(staff ? {} : { customerId: user.id }).filter((c) => matchesFilter(c, filter, user));
      const found: { conversation: ConversationSummary; hits: SearchHit[] }[] = [];
      let scanned = 0;
      let truncated = false;
      for (const conversation of candidates) {
        if (found.length >= SEARCH_RESULTS || scanned >= SEARCH_MESSAGES) {
          truncated = true;
          break;
        }
        if (text.trim() === '') {
          found.push({ conversation, hits: [] });
          continue;
        }
        const hits: SearchHit[] = [];
        for (let after = 0; hits.length < HITS_PER_CONVERSATION && scanned < SEARCH_MESSAGES; ) {
          const page = store.after(conversation.id, after, Math.min(SEARCH_PAGE, SEARCH_MESSAGES - scanned));
          if (page.length === 0) break;
          scanned += page.length;
          hits.push(...searchMessages(page, text, HITS_PER_CONVERSATION - hits.length));
          after = page.at(-1)!.seq;
        }
        if (hits.length > 0) found.push({ conversation, hits });
      }
      found.sort((a, b) => (staff ? byOpenUrgency(a.conversation, b.conversation) : byOpenRecency(a.conversation, b.conversation)));
      return { conversations: found.map(({ conversation, hits }) => ({ ...viewFor(user, conversation), hits })), scanned, truncated };
    },
    handle(peer, frame) {
      const conversationId = 'conversationId' in frame ? frame.conversationId : undefined;
      try {
        switch (frame.type) {
          case 'send':
            return send(peer, frame);
          case 'resume':
            return resume(peer, frame.conversationId, frame.afterSeq);
          case 'leave':
            return rooms.leave(peer, frame.conversationId);
          case 'watch':
            if (!isStaff(peer.user)) throw new FmcError('FMC_ERR_FORBIDDEN', 'only agents and admins watch the conversation list');
            rooms.watch(peer);
            for (const conversation of store.list({ closedLimit: limits.closedListLimit })) peer.send({ type: 'conversation', conversation });
            return;
        }
      } catch (err) {
        if (!(err instanceof FmcError)) throw err;
        const clientId = frame.type === 'send' ? frame.clientId : undefined;
        peer.send({ type: 'error', code: err.code, message: err.message, ...(clientId && { clientId }), ...(conversationId && { conversationId }) });
      }
    },
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
