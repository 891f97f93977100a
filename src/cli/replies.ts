import { loadConfig } from '../config.js';
import { openDataDb } from '../store/sqlite/data-db.js';
import { createReplyStore, type ReplyStore } from '../replies/store.js';
import { processIO, type CommandIO } from './command-io.js';
import { readFirstLine } from './prompt.js';

export interface RepliesOptions {
  dataDir?: string;
  title?: string;
  json?: boolean;
}

function withReplies<T>(options: RepliesOptions, io: CommandIO, fn: (replies: ReplyStore) => T): T {
  const data = openDataDb(options.dataDir ?? loadConfig(io.env).dataDir);
  try {
    return fn(createReplyStore(data.db));
  } finally {
    data.close();
  }
}

/** `fmc replies add <shortcut> [text...]`: the text from the arguments, or one line of stdin when none is given. */
export async function repliesAdd(shortcut: string, words: string[], options: RepliesOptions, io: CommandIO = processIO()): Promise<number> {
  const body = words.length > 0 ? words.join(' ') : await readFirstLine(io.stdin);
  const reply = withReplies(options, io, (replies) => replies.add({ shortcut, ...(options.title !== undefined && { title: options.title }), body, createdBy: io.env.USER || 'cli' }));
  io.stdout.write(`added /${reply.shortcut} (${reply.title})\n`);
  return 0;
}

export async function repliesList(options: RepliesOptions, io: CommandIO = processIO()): Promise<number> {
  const list = withReplies(options, io, (replies) => replies.list());
  if (options.json) io.stdout.write(JSON.stringify(list, null, 2) + '\n');
  else if (list.length === 0) io.stdout.write('no canned replies; add one with `fmc replies add <shortcut> <text>`\n');
  else for (const r of list) io.stdout.write(`/${r.shortcut}  ${r.title}\n    ${r.body}\n`);
  return 0;
}

export async function repliesRemove(shortcut: string, options: RepliesOptions, io: CommandIO = processIO()): Promise<number> {
  withReplies(options, io, (replies) => replies.remove(shortcut));
  io.stdout.write(`removed /${shortcut.replace(/^\//, '').toLowerCase()}\n`);
  return 0;
}
