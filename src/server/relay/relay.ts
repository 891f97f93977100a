import type { AttachmentLinks } from '../../attachments/store.js';
import { applyPatch, type LabelPatch } from '../../corrections/labels.js';
import type { Correction } from '../../corrections/store.js';
import { isStorageError } from '../../store/sqlite/data-db.js';
import { isStaff, type User } from '../../store/users.js';
import { FmcError } from '../../errors.js';
import type { LabelResult } from '../../labels.js';
import type { Logger } from '../../log.js';
import { matchesFilter, STAFF_FILTERS, type ConversationFilter } from '../console/filter.js';
import { searchMessages, type SearchHit } from '../console/search.js';
import type { ChatClassifier } from './chat-classifier.js';
import type { Feed } from './feed.js';
import type { Peer } from './peer.js';
import { messageFrame, type ClientFrame, type ServerFrame } from './protocol.js';
import type { RateLimiter } from './rate-limit.js';
import type { ConversationHead, RelayStore, SendOutcome } from './relay-store.js';
import type { Rooms } from './rooms.js';
import { summaryOrder } from './summary-order.js';
import { byOpenRecency, byOpenUrgency, type ChatMessage, type ConversationState, type ConversationSummary, type ConversationView, type MessageView, type Sender, messageFor } from './store.js';

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
  readonly store: RelayStore;
  readonly rooms: Rooms;
  /** Delivers stored messages to the rooms, in order, once (feed.ts). */
  readonly feed: Feed;
  readonly rate: RateLimiter;
  readonly classifier: ChatClassifier;
  readonly limits: RelayLimits;
  readonly logger: Logger;
  /** Called with each new (not duplicate) message, and each customer message's labels (metrics). */
  readonly onStored?: (message: ChatMessage) => void;
  readonly onLabels?: (labels: LabelResult, message: ChatMessage) => void;
  /** The version (model + prompt/lexicon hash) of the tier that produced labels from `provider`. */
  readonly versionOf?: (provider: string) => string | null;
  /** A store write failed for storage reasons (disk full), or one succeeded: health follows these. */
  readonly onWriteFailure?: (err: unknown) => void;
  readonly onWrite?: () => void;
  /**
   * Whether an error means "the store takes no write now, retry" (a full disk, a database
   * that went away) rather than a bug: the client is told to send again with the same clientId.
   */
  readonly isRetryable?: (err: unknown) => boolean;
  /** Files sent with messages; absent = a send naming an attachment is refused. */
  readonly attachments?: AttachmentLinks;
  /** Who may be given a conversation (assign); absent = `assign` refuses every name. */
  readonly findUser?: (username: string) => Promise<User | undefined>;
}

// How soon a client may resend a message the database refused: storage trouble rarely clears at once.
export const STORAGE_RETRY_MS = 1000;

/** The relay's operations, shared by the REST routes and the /ws frames. */
export interface Relay {
  openConversation(user: User): Promise<ConversationView>;
  /** Agents and admins: every conversation, most urgent open first; customers: their own, without triage, most recent first. */
  listConversations(user: User): Promise<ConversationView[]>;
  messages(user: User, conversationId: string, afterSeq: number, limit: number): Promise<MessageView[]>;
  closeConversation(user: User, conversationId: string): Promise<ConversationView>;
  /** Agents and admins: open (a reopen), pending or closed; the new summary goes to the room and the watchers. */
  setState(user: User, conversationId: string, state: ConversationState): Promise<ConversationView>;
  /** Agents and admins: gives it to an agent or admin by user name, or to nobody (null). */
  assign(user: User, conversationId: string, assignee: string | null): Promise<ConversationView>;
  /** One frame; the caller runs one socket's frames one after another, so its sends keep their order. */
  handle(peer: Peer, frame: ClientFrame): Promise<void>;
  /**
   * An agent's or admin's correction of a customer message's labels: stored with the
   * original, then the new labels go to the room and the new triage to the watchers.
   */
  correct(user: User, conversationId: string, seq: number, patch: LabelPatch): Promise<Correction>;
  /**
   * What another instance did, heard through the database (a NOTIFY carries only ids): its
   * messages come through the feed; labels and conversation changes are read and passed on.
   */
  readonly remote: {
    /**
     * Another instance stored a message: the watchers here get the conversation's new summary,
     * as they would from this instance (its last seq; an agent's reply ends `waitingSince`).
     * The message itself comes through the feed.
     */
    message(conversationId: string): Promise<void>;
    labels(conversationId: string, seq: number): Promise<void>;
    conversation(conversationId: string): Promise<void>;
    /** After a reconnect, when notices may have been missed: the watchers' list is sent again. */
    refresh(): Promise<void>;
  };
  /** Records how far the user has read a conversation (up to its last message). */
  markRead(user: User, conversationId: string, seq: number): Promise<void>;
  /** How far the user has read each conversation, by id. */
  reads(user: User): Promise<Record<string, number>>;
  /**
   * The conversations the user may see that pass the filter and, with a text, hold a message
   * containing every word of it (decrypted in memory, never indexed), in the list's order.
   */
  search(user: User, filter: ConversationFilter, text: string): Promise<SearchResult>;
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

const staffOnly = (peer: Peer): boolean => isStaff(peer.user);

/** Customers are not shown their triage or staff logins: not in their list, the close answer or any frame. */
function withoutTriage(conversation: ConversationSummary): ConversationView {
  const { urgency: _urgency, claim: _claim, topics: _topics, assignee: _assignee, ...view } = conversation;
  return view;
}
const viewFor = (user: User, conversation: ConversationSummary): ConversationView => (isStaff(user) ? conversation : withoutTriage(conversation));

export function createRelay(deps: RelayDeps): Relay {
  const { store, rooms, feed, rate, classifier, limits, logger } = deps;
  const retryable = deps.isRetryable ?? isStorageError;
  const inFlight = new Set<Promise<void>>();

  const notVisible = (user: User, conversationId: string): FmcError => new FmcError('FMC_ERR_NOT_FOUND', `no conversation ${conversationId} that ${user.username} may see`);

  /** Customers see their own conversations only; someone else's is "not found", not "forbidden". */
  async function visible(user: User, conversationId: string): Promise<ConversationHead> {
    const head = await store.head(conversationId);
    if (!head || (!isStaff(user) && head.customerId !== user.id)) throw notVisible(user, conversationId);
    return head;
  }

  const order = summaryOrder();

  /** A summary to the watchers, unless a later one of that conversation already went out. */
  function toWatchers(conversation: ConversationSummary): void {
    if (order.fresh(conversation)) rooms.publishToWatchers({ type: 'conversation', conversation });
  }

  async function announce(conversationId: string): Promise<void> {
    if (!rooms.hasWatchers()) return;
    const conversation = await store.summary(conversationId);
    if (conversation) toWatchers(conversation);
  }

  /** Reads the conversation's new state and sends it to its room and the watchers. */
  async function publishChange(conversationId: string): Promise<ConversationSummary> {
    const conversation = (await store.summary(conversationId))!;
    publishConversation(conversation);
    return conversation;
  }

  function classify(message: ChatMessage): void {
    const job = classifier
      .classify(message.conversationId, message.seq, message.text)
      .then(async (labels) => {
        await store.setLabels(message.conversationId, message.seq, labels);
        deps.onLabels?.(labels, message);
        rooms.publish(message.conversationId, { type: 'labels', conversationId: message.conversationId, seq: message.seq, labels }, staffOnly);
        await announce(message.conversationId);
      })
      // Never the text in a log line: only where it was.
      .catch((err: unknown) => {
        if (retryable(err)) deps.onWriteFailure?.(err);
        logger.warn({ conversationId: message.conversationId, seq: message.seq, err: (err as Error).message }, 'chat message not classified');
      })
      .finally(() => inFlight.delete(job));
    inFlight.add(job);
  }

  const closedError = (conversationId: string): FmcError =>
    new FmcError('FMC_ERR_CONVERSATION_CLOSED', `conversation ${conversationId} is closed; open a new one (POST /api/conversations)`);
  const senderOf = (user: User): Sender => ({ id: user.id, username: user.username, role: user.role, ...(user.displayName !== undefined && { displayName: user.displayName }) });

  /** The store refused the write for a reason that passes (storage): the client resends with the same clientId. */
  function refuseWrite(peer: Peer, err: unknown, conversationId: string, clientId: string): void {
    // The append is one transaction: nothing was stored and no seq was used, so the same
    // clientId sent again gets the next seq, exactly once.
    deps.onWriteFailure?.(err);
    const code = err instanceof FmcError ? err.code : (err as { code?: string }).code;
    logger.error({ conversationId, code }, 'chat message not stored');
    const answer = err instanceof FmcError && (err.code as string) === 'FMC_ERR_DB_UNAVAILABLE' ? err.code : 'FMC_ERR_STORAGE';
    peer.send({ type: 'error', code: answer, message: `the message was not stored (the server cannot write: ${code}); send it again with the same clientId`, clientId, conversationId, retryAfterMs: STORAGE_RETRY_MS });
  }

  const rateLimited = (peer: Peer, conversationId: string, clientId: string, wait: number): void =>
    peer.send({ type: 'error', code: 'FMC_ERR_RATE_LIMITED', message: `too many messages; retry in ${wait} ms`, clientId, conversationId, retryAfterMs: wait });

  /** A new message is stored: acknowledged, delivered here, classified, announced. */
  async function afterStored(peer: Peer, clientId: string, message: ChatMessage): Promise<void> {
    peer.send({ type: 'ack', conversationId: message.conversationId, clientId, seq: message.seq, id: message.id, duplicate: false });
    deps.onStored?.(message);
    feed.stored(message);
    if (message.sender.role === 'customer') classify(message);
    await announce(message.conversationId);
  }

  async function send(peer: Peer, frame: Extract<ClientFrame, { type: 'send' }>): Promise<void> {
    const { conversationId, clientId, text, attachmentId } = frame;
    // A store that makes the checks and the append in one step (PostgreSQL: one round trip)
    // takes every send but those with a file or a text refused here: those take the steps below.
    if (store.send && attachmentId === undefined && text.trim().length > 0 && text.length <= limits.maxTextLength) return sendAtOnce(peer, frame);
    const head = await visible(peer.user, conversationId);
    const sender = senderOf(peer.user);
    // A retry of an already-stored clientId is acknowledged again, whatever happened since
    // (the conversation closed, the budget ran out): the client may only have missed the ack.
    const earlier = await store.existing(conversationId, sender.id, clientId);
    if (earlier) {
      peer.send({ type: 'ack', conversationId, clientId, seq: earlier.seq, id: earlier.id, duplicate: true });
      return;
    }
    if (text.trim().length === 0) throw new FmcError('FMC_ERR_BAD_REQUEST', 'text is empty');
    if (text.length > limits.maxTextLength) throw new FmcError('FMC_ERR_TOO_LARGE', `text is ${text.length} characters; the limit is ${limits.maxTextLength}`);
    if (head.status !== 'open') throw closedError(conversationId);
    if (attachmentId !== undefined) {
      if (!deps.attachments) throw new FmcError('FMC_ERR_ATTACHMENT', 'this server takes no attachments');
      await deps.attachments.check(conversationId, sender.id, attachmentId);
    }
    const wait = await rate.take(peer.user.id);
    if (wait > 0) return rateLimited(peer, conversationId, clientId, wait);
    let stored;
    try {
      stored = await store.append({ conversationId, sender, clientId, text, attachmentId });
    } catch (err) {
      if (!retryable(err)) throw err;
      return refuseWrite(peer, err, conversationId, clientId);
    }
    deps.onWrite?.();
    if (!stored) throw closedError(conversationId);
    const { duplicate } = stored;
    const { message } = stored;
    if (duplicate) {
      peer.send({ type: 'ack', conversationId, clientId, seq: message.seq, id: message.id, duplicate });
      return;
    }
    await afterStored(peer, clientId, message);
  }

  /** The same checks, in the same order, and the append, made by the store in one step. */
  async function sendAtOnce(peer: Peer, frame: Extract<ClientFrame, { type: 'send' }>): Promise<void> {
    const { conversationId, clientId, text } = frame;
    let outcome: SendOutcome;
    try {
      outcome = await store.send!({ conversationId, sender: senderOf(peer.user), staff: isStaff(peer.user), clientId, text });
    } catch (err) {
      if (!retryable(err)) throw err;
      return refuseWrite(peer, err, conversationId, clientId);
    }
    deps.onWrite?.();
    switch (outcome.kind) {
      case 'missing':
        throw notVisible(peer.user, conversationId);
      case 'duplicate':
        peer.send({ type: 'ack', conversationId, clientId, seq: outcome.seq, id: outcome.id, duplicate: true });
        return;
      case 'closed':
        throw closedError(conversationId);
      case 'limited':
        return rateLimited(peer, conversationId, clientId, outcome.waitMs);
      case 'stored':
        return afterStored(peer, clientId, outcome.message);
    }
  }

  async function resume(peer: Peer, conversationId: string, afterSeq: number): Promise<void> {
    // Out of the room while replaying (a second resume starts over); the feed sends whatever
    // was stored meanwhile once the socket is back in, from the last message replayed.
    rooms.leave(peer, conversationId);
    const head = await visible(peer.user, conversationId);
    const replay = await store.after(conversationId, afterSeq, limits.replayLimit + 1);
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
      // The frame live deliveries send (attachment included): a replayed message looks the same.
      peer.send(messageFrame(message, isStaff(peer.user)));
      if (message.labels && isStaff(peer.user)) peer.send({ type: 'labels', conversationId, seq: message.seq, labels: message.labels });
    }
    const lastSeq = shown.at(-1)?.seq ?? afterSeq;
    peer.send({ type: 'resumed', conversationId, lastSeq, more });
    // With more to replay, the client asks again from lastSeq; live messages start after
    // what the conversation held when it resumed, as they always did.
    rooms.join(peer, conversationId, more ? Math.max(lastSeq, head.lastSeq) : lastSeq);
    feed.wake(conversationId);
  }

  async function correct(user: User, conversationId: string, seq: number, patch: LabelPatch): Promise<Correction> {
    if (!isStaff(user)) throw new FmcError('FMC_ERR_FORBIDDEN', 'only agents and admins correct labels');
    await visible(user, conversationId);
    const [message] = await store.after(conversationId, seq - 1, 1);
    if (!message || message.seq !== seq) throw new FmcError('FMC_ERR_NOT_FOUND', `no message ${seq} in conversation ${conversationId}`);
    if (message.sender.role !== 'customer') throw new FmcError('FMC_ERR_CORRECTION', `message ${seq} is from ${message.sender.role} ${message.sender.username}: only customer messages have labels`);
    if (!message.labels) throw new FmcError('FMC_ERR_CORRECTION', `message ${seq} has no labels yet (it is being classified); retry in a moment`);
    const labels = applyPatch(message.labels, patch);
    const correction = await store.correctChat(
      { conversationId, seq, text: message.text, user, original: message.labels, corrected: labels, version: deps.versionOf?.(message.labels.provider) ?? null },
      labels,
    );
    rooms.publish(conversationId, { type: 'labels', conversationId, seq, labels }, staffOnly);
    await announce(conversationId);
    return correction;
  }

  /** A conversation's new state to its room (each as their role may see it) and to the watchers. */
  function publishConversation(conversation: ConversationSummary): void {
    if (!order.fresh(conversation)) return;
    const frame: ServerFrame = { type: 'conversation', conversation };
    const customerFrame: ServerFrame = { type: 'conversation', conversation: withoutTriage(conversation) };
    // Watchers hear of it through publishToWatchers; the rest of the room, each as their role may see it.
    rooms.publish(conversation.id, frame, (peer) => !peer.watching && isStaff(peer.user));
    rooms.publish(conversation.id, customerFrame, (peer) => !peer.watching && !isStaff(peer.user));
    rooms.publishToWatchers(frame);
  }

  async function watch(peer: Peer): Promise<void> {
    if (!isStaff(peer.user)) throw new FmcError('FMC_ERR_FORBIDDEN', 'only agents and admins watch the conversation list');
    rooms.watch(peer);
    for (const conversation of await store.list({ closedLimit: limits.closedListLimit })) peer.send({ type: 'conversation', conversation });
  }

  return {
    correct,
    async openConversation(user) {
      if (user.role !== 'customer') throw new FmcError('FMC_ERR_FORBIDDEN', 'only customers open conversations');
      const conversation = await store.create(user);
      rooms.publishToWatchers({ type: 'conversation', conversation });
      return withoutTriage(conversation);
    },
    async listConversations(user) {
      if (isStaff(user)) return store.list({ closedLimit: limits.closedListLimit });
      return (await store.list({ customerId: user.id, closedLimit: limits.closedListLimit })).map(withoutTriage).sort(byOpenRecency);
    },
    async messages(user, conversationId, afterSeq, limit) {
      await visible(user, conversationId);
      const messages = await store.after(conversationId, afterSeq, limit);
      const staff = isStaff(user);
      return messages.map((m) => messageFor(m, staff));
    },
    async closeConversation(user, conversationId) {
      await visible(user, conversationId);
      await store.close(conversationId);
      return viewFor(user, await publishChange(conversationId));
    },
    async setState(user, conversationId, state) {
      if (!isStaff(user)) throw new FmcError('FMC_ERR_FORBIDDEN', 'only agents and admins reopen a conversation or mark it pending');
      await visible(user, conversationId);
      await store.setState(conversationId, state);
      return publishChange(conversationId);
    },
    async assign(user, conversationId, assignee) {
      if (!isStaff(user)) throw new FmcError('FMC_ERR_FORBIDDEN', 'only agents and admins assign conversations');
      await visible(user, conversationId);
      let to: User | null = null;
      if (assignee !== null) {
        const found = await deps.findUser?.(assignee);
        if (!found) throw new FmcError('FMC_ERR_ASSIGNEE', `no user ${JSON.stringify(assignee)}; assign to an agent or admin (fmc users list)`);
        if (!isStaff(found)) throw new FmcError('FMC_ERR_ASSIGNEE', `${found.username} is a customer; conversations are assigned to agents or admins`);
        to = found;
      }
      await store.assign(conversationId, to && { id: to.id, username: to.username, ...(to.displayName !== undefined && { displayName: to.displayName }) });
      return publishChange(conversationId);
    },
    async markRead(user, conversationId, seq) {
      const head = await visible(user, conversationId);
      await store.markRead(user.id, conversationId, Math.min(seq, head.lastSeq));
    },
    reads: async (user) => Object.fromEntries(await store.reads(user.id)),
    async search(user, filter, text) {
      const staff = isStaff(user);
      const refused = STAFF_FILTERS.filter((k) => filter[k] !== undefined);
      if (!staff && refused.length > 0) throw new FmcError('FMC_ERR_FORBIDDEN', `customers cannot filter by ${refused.join(', ')}`);
      const candidates = (await store.all(staff ? {} : { customerId: user.id })).filter((c) => matchesFilter(c, filter, user));
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
          const page = await store.after(conversation.id, after, Math.min(SEARCH_PAGE, SEARCH_MESSAGES - scanned));
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
    async handle(peer, frame) {
      const conversationId = 'conversationId' in frame ? frame.conversationId : undefined;
      try {
        switch (frame.type) {
          case 'send':
            return await send(peer, frame);
          case 'resume':
            return await resume(peer, frame.conversationId, frame.afterSeq);
          case 'leave':
            return rooms.leave(peer, frame.conversationId);
          case 'watch':
            return await watch(peer);
        }
      } catch (err) {
        const clientId = frame.type === 'send' ? frame.clientId : undefined;
        // The store went away between two steps (the database restarted): the client retries.
        if (!(err instanceof FmcError) && retryable(err)) {
          deps.onWriteFailure?.(err);
          peer.send({ type: 'error', code: 'FMC_ERR_STORAGE', message: 'the server cannot reach its storage now; retry in a moment', ...(clientId && { clientId }), ...(conversationId && { conversationId }), retryAfterMs: STORAGE_RETRY_MS });
          return;
        }
        if (!(err instanceof FmcError)) throw err;
        const retry = (err.code as string) === 'FMC_ERR_DB_UNAVAILABLE' ? { retryAfterMs: STORAGE_RETRY_MS } : {};
        peer.send({ type: 'error', code: err.code, message: err.message, ...(clientId && { clientId }), ...(conversationId && { conversationId }), ...retry });
      }
    },
    remote: {
      message: announce,
      async labels(conversationId, seq) {
        // Labels go to staff only: a room of customers here costs no read.
        if ([...(rooms.peersIn(conversationId) ?? [])].some(staffOnly)) {
          const [message] = await store.after(conversationId, seq - 1, 1);
          if (message?.seq === seq && message.labels) rooms.publish(conversationId, { type: 'labels', conversationId, seq, labels: message.labels }, staffOnly);
        }
        await announce(conversationId);
      },
      async conversation(conversationId) {
        if (!rooms.hasWatchers() && !rooms.peersIn(conversationId)) return;
        const conversation = await store.summary(conversationId);
        if (conversation) publishConversation(conversation);
      },
      async refresh() {
        if (!rooms.hasWatchers()) return;
        for (const conversation of await store.list({ closedLimit: limits.closedListLimit })) toWatchers(conversation);
      },
    },
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      await feed.idle();
    },
  };
}
