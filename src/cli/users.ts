import type { ReadStream } from 'node:tty';
import { checkPassword, hashPassword } from '../auth/passwords.js';
import { loadConfig } from '../config.js';
import { openDataDb } from '../data/db.js';
import { createUserStore, isRole, normalizeUsername, ROLES, type UserStore } from '../data/users.js';
import { FmcError } from '../errors.js';
import { processIO, type CommandIO } from './command-io.js';
import { promptHidden, readFirstLine } from './prompt.js';

export interface UsersOptions {
  dataDir?: string;
  role?: string;
  json?: boolean;
}

function withUsers<T>(options: UsersOptions, io: CommandIO, fn: (users: UserStore) => Promise<T>): Promise<T> {
  const data = openDataDb(options.dataDir ?? loadConfig(io.env).dataDir);
  return fn(createUserStore(data.db)).finally(() => data.close());
}

/** A terminal gets a hidden prompt, asked twice; anything else is read as one line. */
async function readPassword(io: CommandIO): Promise<string> {
  const stdin = io.stdin as Partial<ReadStream> & typeof io.stdin;
  if (stdin.isTTY && typeof stdin.setRawMode === 'function') {
    const tty = stdin as ReadStream;
    const first = await promptHidden(tty, io.stderr, 'password: ');
    checkPassword(first);
    const again = await promptHidden(tty, io.stderr, 'again: ');
    if (again !== first) throw new FmcError('FMC_ERR_BAD_USER', 'the two passwords differ; run the command again');
    return first;
  }
  const line = await readFirstLine(io.stdin);
  if (line === '') throw new FmcError('FMC_ERR_BAD_USER', 'no password on stdin; pipe one line, e.g. `printf "%s\\n" "$PW" | fmc users add …`');
  return line;
}

/** `fmc users add <name> --role <role>`: the password comes from a prompt or stdin, never argv. */
export async function usersAdd(name: string, options: UsersOptions, io: CommandIO = processIO()): Promise<number> {
  const role = options.role ?? 'agent';
  if (!isRole(role)) throw new FmcError('FMC_ERR_BAD_USER', `role ${JSON.stringify(role)}: choose one of ${ROLES.join(', ')}`);
  const username = normalizeUsername(name);
  // Checked before the prompt: nobody types a password twice to learn the name was taken.
  await withUsers(options, io, async (users) => {
    if (users.byName(username)) throw new FmcError('FMC_ERR_USER_EXISTS', `user ${username} already exists; \`fmc users remove ${username}\` first to replace it`);
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

export async function usersRemove(name: string, options: UsersOptions, io: CommandIO = processIO()): Promise<number> {
  const removed = await withUsers(options, io, async (users) => users.remove(name));
  if (!removed) throw new FmcError('FMC_ERR_USER_NOT_FOUND', `no user ${JSON.stringify(name)}; see \`fmc users list\``);
  io.stdout.write(`removed ${name.trim().toLowerCase()}\n`);
  return 0;
}
