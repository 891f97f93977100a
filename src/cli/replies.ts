import { loadConfig } from '../config.js';
import { databaseUrlOf } from '../store/database-url.js';
import { openPgDatabase } from '../store/pg/database.js';
import { openPgReplies } from '../store/pg/replies.js';
import { openDataDb } from '../store/sqlite/data-db.js';
import { openSqliteReplies } from '../store/sqlite/replies.js';
import type { ReplyStore } from '../replies/store.js';
import { processIO, type CommandIO } from './command-io.js';
import { readFirstLine } from './prompt.js';

export interface RepliesOptions {
  dataDir?: string;
  /** PostgreSQL (--database-url, else FMC_DATABASE_URL): the list every `fmc serve` on it offers. */
  databaseUrl?: string;
  title?: string;
  json?: boolean;
}

/** The replies of the data dir, or of the PostgreSQL database in that mode. */
async function withReplies<T>(options: RepliesOptions, io: CommandIO, fn: (replies: ReplyStore) => Promise<T>): Promise<T> {
  const config = loadConfig(io.env);
  const url = databaseUrlOf(options.databaseUrl, config);
  if (url !== undefined) {
    const db = await openPgDatabase(url, { max: 1, applicationName: 'fmc replies' });
    try {
      return await fn(openPgReplies(db.pool, db.url));
    } finally {
      await db.close();
    }
  }
  const data = openDataDb(options.dataDir ?? config.dataDir);
  try {
    return await fn(openSqliteReplies(data.db));
  } finally {
    data.close();
  }
}

/** `fmc replies add <shortcut> [text...]`: the text from the arguments, or one line of stdin when none is given. */
export async function repliesAdd(shortcut: string, words: string[], options: RepliesOptions, io: CommandIO = processIO()): Promise<number> {
  const body = words.length > 0 ? words.join(' ') : await readFirstLine(io.stdin);
  const reply = await withReplies(options, io, (replies) => replies.add({ shortcut, ...(options.title !== undefined && { title: options.title }), body, createdBy: io.env.USER || 'cli' }));
  io.stdout.write(`added /${reply.shortcut} (${reply.title})\n`);
  return 0;
}

export async function repliesList(options: RepliesOptions, io: CommandIO = processIO()): Promise<number> {
  const list = await withReplies(options, io, (replies) => replies.list());
  if (options.json) io.stdout.write(JSON.stringify(list, null, 2) + '\n');
  else if (list.length === 0) io.stdout.write('no canned replies; add one with `fmc replies add <shortcut> <text>`\n');
  else for (const r of list) io.stdout.write(`/${r.shortcut}  ${r.title}\n    ${r.body}\n`);
  return 0;
}

export async function repliesRemove(shortcut: string, options: RepliesOptions, io: CommandIO = processIO()): Promise<number> {
  await withReplies(options, io, (replies) => replies.remove(shortcut));
  io.stdout.write(`removed /${shortcut.replace(/^\//, '').toLowerCase()}\n`);
  return 0;
}
