// The author of a tweet, when the export has one, is a strong signal: the operator's own
// accounts post promotions, news, incident notices and canned replies, never a customer's
// claim (train + extra: 589 rows by Freebox and free, every one is_claim=false).

/** Column names an author column goes by in exports, tried in this order (case-insensitive). */
export const AUTHOR_COLUMN_CANDIDATES = ['author', 'user', 'username', 'screen_name', 'user_name'] as const;

/** The operator's accounts (Free's brand, support and group accounts); FMC_OPERATOR_ACCOUNTS replaces the list. */
export const DEFAULT_OPERATOR_ACCOUNTS: readonly string[] = ['freebox', 'free', 'free_1337', 'freemobile', 'groupeiliad', 'oqeebyfree'];

const handle = (author: string): string => author.trim().replace(/^@/, '').toLowerCase();

/** "Freebox, @free" -> the set of handles, lower-case, without "@". */
export function parseOperatorAccounts(raw: string | undefined): ReadonlySet<string> {
  const list = raw === undefined ? DEFAULT_OPERATOR_ACCOUNTS : raw.split(',');
  return new Set(list.map(handle).filter((h) => h.length > 0));
}

export function isOperatorAccount(author: string | undefined, accounts: ReadonlySet<string>): boolean {
  return author !== undefined && accounts.has(handle(author));
}
