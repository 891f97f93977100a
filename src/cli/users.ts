import type { ReadStream } from 'node:tty';
import { checkPassword, hashPassword } from '../auth/passwords.js';
import { loadConfig } from '../config.js';
import { databaseUrlOf } from '../store/database-url.js';
import { openPgDatabase } from '../store/pg/database.js';
import { createPgUserStore } from '../store/pg/users.js';
import { openDataDb } from '../store/sqlite/data-db.js';
import { createUserStore } from '../store/sqlite/users.js';
import { isRole, normalizeDisplayName, normalizeUsername, ROLES, type UserStore } from '../store/users.js';
import { FmcError } from '../errors.js';
import { processIO, type CommandIO } from './command-io.js';
import { promptHidden, readFirstLine } from './prompt.js';

export interface UsersOptions {
  dataDir?: string;
  /** PostgreSQL (--database-url, else FMC_DATABASE_URL): the users every `fmc serve` on it shares. */
  databaseUrl?: string;
  role?: string;
  json?: boolean;
}

/** The users `fmc serve` would use with the same settings: PostgreSQL's when a database URL is set, else the data dir's. */
async function withUsers<T>(options: UsersOptions, io: CommandIO, fn: (users: UserStore) => Promise<T>): Promise<T> {
  const config = loadConfig(io.env);
  const url = databaseUrlOf(options.databaseUrl, config);
  if (url !== undefined) {
    const db = await openPgDatabase(url, { max: 1, applicationName: 'fmc users' });
    return fn(createPgUserStore(db.pool, db.url)).finally(() => db.close());
  }
  const data = openDataDb(options.dataDir ?? config.dataDir);
  return fn(createUserStore(data.db)).finally(() => data.close());
}

// A typo in the second entry asks again rather than throwing the first one away; past this many, give up.
const PROMPT_ROUNDS = 3;

const isTerminal = (io: CommandIO): boolean => {
  const stdin = io.stdin as Partial<ReadStream>;
  return stdin.isTTY === true && typeof stdin.setRawMode === 'function';
};

/** A terminal gets a hidden prompt, asked twice (again on a mismatch); anything else is read as one line. */
async function readPassword(io: CommandIO): Promise<string> {
  if (isTerminal(io)) {
    const tty = io.stdin as ReadStream;
    for (let round = 1; round <= PROMPT_ROUNDS; round++) {
      const first = await promptHidden(tty, io.stderr, 'password: ');
      checkPassword(first);
      const again = await promptHidden(tty, io.stderr, 'again: ');
      if (again === first) return first;
      io.stderr.write(round < PROMPT_ROUNDS ? 'the two passwords differ; try again\n' : '');
    }
    throw new FmcError('FMC_ERR_BAD_USER', `the two passwords differed ${PROMPT_ROUNDS} times; nothing was changed`);
  }
  const line = await readFirstLine(io.stdin);
  if (line === '') throw new FmcError('FMC_ERR_BAD_USER', 'no password on stdin; pipe one line, e.g. `printf "%s\\n" "$PW" | fmc users add …`');
  return line;
}

/** A y/N question on the terminal; anything but y/yes is no. */
async function confirm(io: CommandIO, question: string): Promise<boolean> {
  io.stderr.write(question);
  const answer = await readFirstLine(io.stdin);
  return /^y(es)?$/i.test(answer.trim());
}

/** `fmc users add <name> --role <role>`: the password comes from a prompt or stdin, never argv. */
export async function usersAdd(name: string, options: UsersOptions, io: CommandIO = processIO()): Promise<number> {
  const role = options.role ?? 'agent';
  if (!isRole(role)) throw new FmcError('FMC_ERR_BAD_USER', `role ${JSON.stringify(role)}: choose one of ${ROLES.join(', ')}`);
  const username = normalizeUsername(name);
  // Checked before the prompt: nobody types a password twice to learn the name was taken.
  await withUsers(options, io, async (users) => {
    if (await users.byName(username)) throw new FmcError('FMC_ERR_USER_EXISTS', `user ${username} already exists; \`fmc users remove ${username}\` first to replace it`);
  });
  const passwordHash = await hashPassword(await readPassword(io));
  const user = await withUsers(options, io, async (users) => users.add({ username, role, passwordHash }));
  io.stdout.write(`added ${user.username} (${user.role})\n`);
  return 0;
}

export async function usersList(options: UsersOptions, io: CommandIO = processIO()): Promise<number> {
  const list = await withUsers(options, io, async (users) => users.list());
  if (options.json) io.stdout.write(JSON.stringify(list, null, 2) + '\n');
  else if (list.length === 0) io.stdout.write('no users; add one with `fmc users add <name> --role admin`\n');
  else {
    const width = Math.max(...list.map((u) => u.username.length), 4);
    for (const u of list) io.stdout.write(`${u.username.padEnd(width)}  ${u.role.padEnd(8)}  ${u.createdAt}\n`);
  }
  return 0;
}

export interface RemoveOptions extends UsersOptions {
  /** Delete a customer's conversations without asking (scripts, cron). */
  yes?: boolean;
}

/**
 * `fmc users remove <name>`: a customer's conversations go with them (ON DELETE CASCADE), so
 * the count is said first, and confirmed: on a terminal by a question, elsewhere by --yes.
 */
export async function usersRemove(name: string, options: RemoveOptions, io: CommandIO = processIO()): Promise<number> {
  const username = name.trim().toLowerCase();
  const conversations = await withUsers(options, io, async (users) => {
    if (!(await users.byName(username))) throw new FmcError('FMC_ERR_USER_NOT_FOUND', `no user ${JSON.stringify(name)}; see \`fmc users list\``);
    return users.conversationCount(username);
  });
  const what = `${conversations} conversation${conversations === 1 ? '' : 's'}`;
  if (conversations > 0 && !options.yes) {
    if (!isTerminal(io)) throw new FmcError('FMC_ERR_USAGE', `removing ${username} deletes ${what} and their messages; pass --yes to confirm (nothing was removed)`);
    if (!(await confirm(io, `remove ${username} and delete ${what} and their messages? [y/N] `))) {
      io.stderr.write('nothing was removed\n');
      return 1;
    }
  }
  const removed = await withUsers(options, io, async (users) => users.remove(username));
  if (!removed) throw new FmcError('FMC_ERR_USER_NOT_FOUND', `no user ${JSON.stringify(name)}; see \`fmc users list\``);
  io.stdout.write(`removed ${username}${conversations > 0 ? ` and ${what}` : ''}\n`);
  return 0;
}

/** `fmc users passwd <name>`: a new password (prompt or one stdin line); the user's tokens stop working. */
export async function usersPasswd(name: string, options: UsersOptions, io: CommandIO = processIO()): Promise<number> {
  const username = name.trim().toLowerCase();
  await withUsers(options, io, async (users) => {
    if (!(await users.byName(username))) throw new FmcError('FMC_ERR_USER_NOT_FOUND', `no user ${JSON.stringify(name)}; see \`fmc users list\``);
  });
  const passwordHash = await hashPassword(await readPassword(io));
  const changed = await withUsers(options, io, async (users) => users.setPassword(username, passwordHash));
  if (!changed) throw new FmcError('FMC_ERR_USER_NOT_FOUND', `no user ${JSON.stringify(name)}; see \`fmc users list\``);
  io.stdout.write(`password of ${username} changed; their tokens stop working (log in again)\n`);
  return 0;
}

/** `fmc users role <name> <role>`: applies at once (roles are read on every request and frame). */
export async function usersRole(name: string, role: string, options: UsersOptions, io: CommandIO = processIO()): Promise<number> {
  if (!isRole(role)) throw new FmcError('FMC_ERR_BAD_USER', `role ${JSON.stringify(role)}: choose one of ${ROLES.join(', ')}`);
  const username = name.trim().toLowerCase();
  const before = await withUsers(options, io, async (users) => users.setRole(username, role));
  if (before === undefined) throw new FmcError('FMC_ERR_USER_NOT_FOUND', `no user ${JSON.stringify(name)}; see \`fmc users list\``);
  io.stdout.write(before === role ? `${username} is already ${role}\n` : `${username}: ${before} -> ${role} (open sockets are closed at their next frame)\n`);
  return 0;
}

/** `fmc users name <name> [display name]`: what customers are shown instead of the login; none clears it. */
export async function usersName(name: string, displayName: string | undefined, options: UsersOptions, io: CommandIO = processIO()): Promise<number> {
  const username = name.trim().toLowerCase();
  const shown = displayName === undefined || displayName.trim() === '' ? null : normalizeDisplayName(displayName);
  const found = await withUsers(options, io, async (users) => users.setDisplayName(username, shown));
  if (!found) throw new FmcError('FMC_ERR_USER_NOT_FOUND', `no user ${JSON.stringify(name)}; see \`fmc users list\``);
  io.stdout.write(shown === null ? `${username}: display name cleared (customers see "Support agent")\n` : `${username}: customers now see ${JSON.stringify(shown)}\n`);
  return 0;
}
