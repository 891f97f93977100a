// The FMC_ERR_* catalogue: every error a user can see, with its exit code and HTTP status.
// Only cli/main.ts turns these into an exit; the server turns them into JSON errors.

export const EXIT = {
  ok: 0,
  runtime: 1,
  usage: 2,
  /** `fmc health`: only optional tiers are down. */
  degraded: 3,
  /** EX_TEMPFAIL: another run holds the lock (cron retries later). */
  locked: 75,
  /** 128 + the signal, as a shell reports a run killed by it: SIGINT (Ctrl-C), SIGTERM. */
  interrupted: 130,
  terminated: 143,
  /** `fmc report`: the report was written, but an alert could not be delivered to --alert-webhook. */
  alertUndelivered: 4,
  /** 128 + SIGPIPE: the reader of stdout went away (`fmc classify x -o - | head`). */
  pipe: 141,
} as const;

interface ErrorSpec {
  readonly exit: number;
  readonly status: number;
  readonly summary: string;
}

export const ERRORS = {
  FMC_ERR_USAGE: { exit: EXIT.usage, status: 400, summary: 'bad command-line usage or option value' },
  FMC_ERR_INPUT_MISSING: { exit: EXIT.usage, status: 400, summary: 'input file does not exist' },
  FMC_ERR_INPUT_NOT_FILE: { exit: EXIT.usage, status: 400, summary: 'input path is a directory, socket or block device' },
  FMC_ERR_INPUT_UNREADABLE: { exit: EXIT.usage, status: 400, summary: 'input file cannot be opened (permissions)' },
  FMC_ERR_INPUT_EMPTY: { exit: EXIT.usage, status: 400, summary: 'input has no header or no data rows' },
  FMC_ERR_INPUT_BINARY: { exit: EXIT.usage, status: 400, summary: 'input is not text' },
  FMC_ERR_INPUT_ENCODING: { exit: EXIT.usage, status: 400, summary: 'input is neither UTF-8 nor the chosen encoding' },
  FMC_ERR_NO_TEXT_COLUMN: { exit: EXIT.usage, status: 400, summary: 'no text column found' },
  FMC_ERR_CSV: { exit: EXIT.usage, status: 400, summary: 'malformed CSV (quote, column count, field size)' },
  FMC_ERR_JSONL: { exit: EXIT.usage, status: 400, summary: 'malformed JSONL line' },
  FMC_ERR_XLSX: { exit: EXIT.usage, status: 400, summary: 'unreadable .xlsx workbook, or a malformed row in its sheet' },
  FMC_ERR_INPUT_TRUNCATED: { exit: EXIT.runtime, status: 400, summary: 'input stream ended early' },
  FMC_ERR_OUTPUT_IS_INPUT: { exit: EXIT.usage, status: 400, summary: 'an output path (-o, --summary-json, --lock, --cache) is the input file' },
  FMC_ERR_OUTPUT_NOT_FILE: { exit: EXIT.usage, status: 400, summary: 'output path is a directory, socket or block device' },
  FMC_ERR_OUTPUT_UNWRITABLE: { exit: EXIT.runtime, status: 500, summary: 'output cannot be written (directory missing or read-only, disk full)' },
  FMC_ERR_OUTPUT_CLOSED: { exit: EXIT.pipe, status: 500, summary: 'the reader of the output closed it before the end (EPIPE)' },
  FMC_ERR_LABELS: { exit: EXIT.usage, status: 400, summary: 'labeled file has values outside the taxonomy' },
  FMC_ERR_LOCKED: { exit: EXIT.locked, status: 409, summary: 'another run holds the lock' },
  FMC_ERR_TIER_UNAVAILABLE: { exit: EXIT.usage, status: 503, summary: 'the chosen tier is not available' },
  FMC_ERR_MODEL: { exit: EXIT.usage, status: 500, summary: 'model folder missing, corrupt or not matching the taxonomy' },
  FMC_ERR_CACHE: { exit: EXIT.runtime, status: 500, summary: 'cache database cannot be opened or written' },
  FMC_ERR_CONFIG: { exit: EXIT.usage, status: 500, summary: 'an environment variable or config value is invalid' },
  FMC_ERR_DATA: { exit: EXIT.runtime, status: 500, summary: 'data directory or database cannot be opened or written' },
  FMC_ERR_DB_UNAVAILABLE: { exit: EXIT.usage, status: 503, summary: 'PostgreSQL (FMC_DATABASE_URL) cannot be reached: bad URL, refused, wrong password, missing database, or gone' },
  FMC_ERR_USER_EXISTS: { exit: EXIT.usage, status: 409, summary: 'a user with that name already exists' },
  FMC_ERR_USER_NOT_FOUND: { exit: EXIT.usage, status: 404, summary: 'no user with that name' },
  FMC_ERR_BAD_USER: { exit: EXIT.usage, status: 400, summary: 'user name, role or password does not meet the rules' },
  FMC_ERR_LISTEN: { exit: EXIT.runtime, status: 500, summary: 'the server cannot bind its host and port' },
  FMC_ERR_QUEUE_BUSY: { exit: EXIT.locked, status: 409, summary: 'fmc classify --queue: another coordinator is already classifying this file' },
  FMC_ERR_QUEUE_CHUNK: { exit: EXIT.runtime, status: 500, summary: 'fmc classify --queue: a chunk failed on every attempt (or no worker would take it); the rest is kept: run again to resume' },
  FMC_ERR_INTERRUPTED: { exit: EXIT.interrupted, status: 503, summary: 'the run was stopped by SIGINT (Ctrl-C); no output file was written' },
  FMC_ERR_TERMINATED: { exit: EXIT.terminated, status: 503, summary: 'the run was stopped by SIGTERM; no output file was written' },
  FMC_ERR_CORRECTION: { exit: EXIT.usage, status: 400, summary: 'a label correction names an unknown field or value, an inconsistent pair, or a message without labels' },
  FMC_ERR_KEYS: { exit: EXIT.runtime, status: 500, summary: 'master key missing, malformed, readable by others, or not the one the data keys were wrapped with' },
  FMC_ERR_NOT_CLASSIFIED: { exit: EXIT.usage, status: 400, summary: 'fmc report input lacks the label columns fmc classify writes' },
  FMC_ERR_COLUMNS: { exit: EXIT.usage, status: 400, summary: 'fmc report inputs do not have the same columns' },
  FMC_ERR_DATES: { exit: EXIT.usage, status: 400, summary: 'no date of the date column could be read' },
  FMC_ERR_WEBHOOK: { exit: EXIT.alertUndelivered, status: 502, summary: 'the report was written but an alert was not delivered to --alert-webhook (retried)' },
  // HTTP only: the server's answers to a request it will not serve.
  FMC_ERR_BAD_REQUEST: { exit: EXIT.usage, status: 400, summary: 'malformed request: bad JSON or a body that does not match the schema' },
  FMC_ERR_UNAUTHORIZED: { exit: EXIT.usage, status: 401, summary: 'missing, invalid or expired token, or wrong credentials' },
  FMC_ERR_FORBIDDEN: { exit: EXIT.usage, status: 403, summary: "the user's role may not do this" },
  FMC_ERR_NOT_FOUND: { exit: EXIT.usage, status: 404, summary: 'no such route' },
  FMC_ERR_TOO_LARGE: { exit: EXIT.usage, status: 413, summary: 'body, item count or text length over the limit' },
  FMC_ERR_MEDIA_TYPE: { exit: EXIT.usage, status: 415, summary: 'content type is neither application/json nor text/csv' },
  FMC_ERR_RATE_LIMITED: { exit: EXIT.usage, status: 429, summary: 'too many requests; wait for Retry-After seconds' },
  FMC_ERR_SIGNUP_CLOSED: { exit: EXIT.usage, status: 403, summary: 'self sign-up is disabled on this server' },
  FMC_ERR_ASSIGNEE: { exit: EXIT.usage, status: 400, summary: 'a conversation can only be assigned to an existing agent or admin' },
  FMC_ERR_CONVERSATION_CLOSED: { exit: EXIT.usage, status: 409, summary: 'the conversation is closed; open a new one' },
  FMC_ERR_SHUTTING_DOWN: { exit: EXIT.runtime, status: 503, summary: 'the server is shutting down' },
  FMC_ERR_STORAGE: { exit: EXIT.runtime, status: 503, summary: 'the data database refused a write (disk full, I/O error, read-only); nothing was stored: retry' },
  FMC_ERR_INTERNAL: { exit: EXIT.runtime, status: 500, summary: 'unexpected server error (logged with the request id)' },
  // The agent console (issue #16): sessions, accounts, canned replies, attachments.
  FMC_ERR_SESSION_EXPIRED: { exit: EXIT.usage, status: 401, summary: 'the refresh session was unused for longer than FMC_REFRESH_TTL; log in again' },
  FMC_ERR_SESSION_REVOKED: { exit: EXIT.usage, status: 401, summary: 'the session ended: logout, password changed, account disabled or removed' },
  FMC_ERR_REFRESH_REUSED: { exit: EXIT.usage, status: 401, summary: 'an already-used refresh token was presented; its session is revoked' },
  FMC_ERR_ACCOUNT_DISABLED: { exit: EXIT.usage, status: 403, summary: 'the account is disabled by an admin' },
  FMC_ERR_BAD_REPLY: { exit: EXIT.usage, status: 400, summary: 'a canned reply shortcut or text does not meet the rules' },
  FMC_ERR_REPLY_EXISTS: { exit: EXIT.usage, status: 409, summary: 'a canned reply with that shortcut already exists' },
  FMC_ERR_REPLY_NOT_FOUND: { exit: EXIT.usage, status: 404, summary: 'no canned reply with that shortcut' },
  FMC_ERR_ATTACHMENT_TOO_LARGE: { exit: EXIT.usage, status: 413, summary: 'an attachment is over 10 MB' },
  FMC_ERR_ATTACHMENT_TYPE: { exit: EXIT.usage, status: 415, summary: 'an attachment is not a PNG, JPEG, GIF, WebP image or PDF by its content, or its name says another type' },
  FMC_ERR_ATTACHMENT: { exit: EXIT.usage, status: 400, summary: 'no file in the upload, or a message names an attachment that is not its sender\'s in that conversation' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** An expected failure with a one-line message that says what happened and how to fix it. */
export class FmcError extends Error {
  readonly exitCode: number;
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FmcError';
    this.exitCode = ERRORS[code].exit;
    this.status = ERRORS[code].status;
  }
}

/** An I/O error as a reason: "no space left on device (ENOSPC)". */
export function ioReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (!e.code) return e.message;
  // Node's own text: "ENOSPC: no space left on device, write".
  const text = e.message.startsWith(`${e.code}: `) ? e.message.slice(e.code.length + 2).split(',')[0] : undefined;
  return text ? `${text} (${e.code})` : e.code;
}

/** "file:line:column: message", the position parts only where known. */
export function atPosition(file: string, line?: number, column?: number): string {
  return [file, line, line !== undefined ? column : undefined].filter((p) => p !== undefined).join(':');
}
