import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import Table from 'cli-table3';
import { stringify } from 'csv-stringify/sync';
import { loadConfig, loadServerEnv } from '../config.js';
import { correctionStats } from '../corrections/stats.js';
import type { Correction } from '../corrections/store.js';
import { databaseUrlOf, describeDatabase } from '../store/database-url.js';
import { openPgCorrections } from '../store/pg/corrections.js';
import { openPgDatabase } from '../store/pg/database.js';
import { openSqliteCorrections } from '../store/sqlite/corrections.js';
import { openDataDb } from '../store/sqlite/data-db.js';
import { FmcError } from '../errors.js';
import { LABEL_FIELDS, labelStrings } from '../labels.js';
import { openKeyring } from '../server/relay/keyring.js';
import { openPgKeyring } from '../server/relay/pg/keyring.js';
import { MASTER_KEY_FILE, masterKeySource } from '../server/relay/master-key.js';
import { processIO, type CommandIO } from './command-io.js';

export interface CorrectionsOptions {
  dataDir?: string;
  /** PostgreSQL (--database-url, else FMC_DATABASE_URL): the corrections every `fmc serve` on it stored. */
  databaseUrl?: string;
  output?: string;
  json?: boolean;
}

/**
 * The data dir's corrections (or the PostgreSQL database's, in that mode), chat texts
 * decrypted with the relay's master key (FMC_MASTER_KEY or the key file).
 */
async function readCorrections(options: CorrectionsOptions, io: CommandIO): Promise<Correction[]> {
  const config = loadConfig(io.env);
  const dataDir = options.dataDir ?? config.dataDir;
  const url = databaseUrlOf(options.databaseUrl, config);
  const env = loadServerEnv(io.env);
  const masterKey = (): ReturnType<typeof masterKeySource> => masterKeySource(env.masterKey, dataDir);
  if (url !== undefined) {
    const db = await openPgDatabase(url, { max: 1, applicationName: 'fmc corrections' });
    try {
      return await openPgCorrections(db.pool, db.url, async () => {
        // The instances' key, never a new one made here: it would be refused, and left behind in the data dir.
        const source = masterKey();
        if (source.kind === 'file' && !existsSync(join(source.dataDir, MASTER_KEY_FILE))) {
          throw new FmcError('FMC_ERR_KEYS', `chat corrections are sealed with the master key of the fmc serve instances on ${describeDatabase(url)}; set FMC_MASTER_KEY to it (there is no ${join(source.dataDir, MASTER_KEY_FILE)})`);
        }
        return openPgKeyring(db.pool, source);
      }).list();
    } finally {
      await db.close();
    }
  }
  const data = openDataDb(dataDir);
  try {
    return await openSqliteCorrections(data.db, () => openKeyring(data.db, masterKey())).list();
  } finally {
    data.close();
  }
}

/** The five corrected labels under their own names, so `fmc train` reads the file as it is. */
export const EXPORT_COLUMNS = [
  'text',
  ...LABEL_FIELDS,
  ...LABEL_FIELDS.map((f) => `original_${f}`),
  'original_confidence',
  'provider',
  'version',
  'corrected_by',
  'corrected_at',
  'source',
  'conversation_id',
  'seq',
] as const;

export function correctionRows(corrections: readonly Correction[]): string[][] {
  return corrections.map((c) => {
    const original = c.original ? labelStrings(c.original) : undefined;
    return [
      c.text,
      ...LABEL_FIELDS.map((f) => labelStrings(c.labels)[f]),
      ...LABEL_FIELDS.map((f) => original?.[f] ?? ''),
      c.original ? String(c.original.confidence) : '',
      c.provider ?? '',
      c.version ?? '',
      c.correctedBy,
      c.createdAt,
      c.source,
      c.conversationId ?? '',
      c.seq === undefined ? '' : String(c.seq),
    ];
  });
}

/**
 * `fmc corrections export -o corrections.csv`: every correction, oldest first. The file holds
 * customers' decrypted messages: it is created 0600, through a temp file and a rename.
 */
export async function correctionsExport(options: CorrectionsOptions, io: CommandIO = processIO()): Promise<number> {
  if (!options.output) throw new FmcError('FMC_ERR_USAGE', 'corrections export needs -o <file.csv> (or -o - for stdout)');
  const corrections = await readCorrections(options, io);
  const csv = stringify([[...EXPORT_COLUMNS], ...correctionRows(corrections)]);
  if (options.output === '-') {
    io.stdout.write(csv);
    return 0;
  }
  const temp = join(dirname(options.output), `.${basename(options.output)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(temp, csv, { mode: 0o600 });
    await rename(temp, options.output);
  } catch (err) {
    await rm(temp, { force: true });
    throw new FmcError('FMC_ERR_OUTPUT_UNWRITABLE', `${options.output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; choose a writable path with -o`, { cause: err });
  }
  io.stderr.write(`wrote ${corrections.length} corrections to ${options.output}\n`);
  return 0;
}

const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;

/** `fmc corrections stats [--json]`: override rate per field and the dominant value pairs, per provider. */
export async function correctionsStats(options: CorrectionsOptions, io: CommandIO = processIO()): Promise<number> {
  const stats = correctionStats(await readCorrections(options, io));
  if (options.json) {
    io.stdout.write(JSON.stringify(stats, null, 2) + '\n');
    return 0;
  }
  if (stats.total === 0) {
    io.stdout.write('no corrections yet: agents correct labels in the dashboard or with POST /api/corrections\n');
    return 0;
  }
  io.stdout.write(`${stats.total} corrections${stats.withoutOriginal ? ` (${stats.withoutOriginal} without original labels)` : ''}\n`);
  for (const [provider, p] of Object.entries(stats.byProvider)) {
    const table = new Table({ head: ['field', 'overridden', 'rate', 'top predicted → corrected'], style: { head: [], border: [] } });
    for (const field of LABEL_FIELDS) {
      const f = p.fields[field];
      table.push([field, f.overridden, pct(f.rate), f.pairs.slice(0, 3).map((x) => `${x.from} → ${x.to} (${x.count})`).join(', ')]);
    }
    io.stdout.write(`\nprovider ${provider}: ${p.corrections} corrections\n${table.toString()}\n`);
  }
  return 0;
}
