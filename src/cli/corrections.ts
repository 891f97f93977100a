import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import Table from 'cli-table3';
import { stringify } from 'csv-stringify/sync';
import { loadConfig, loadServerEnv } from '../config.js';
import { correctionStats } from '../corrections/stats.js';
import { createCorrectionStore, type Correction } from '../corrections/store.js';
import { openDataDb } from '../store/sqlite/data-db.js';
import { FmcError } from '../errors.js';
import { LABEL_FIELDS, labelStrings } from '../labels.js';
import { openKeyring } from '../server/relay/keyring.js';
import { masterKeySource } from '../server/relay/master-key.js';
import { processIO, type CommandIO } from './command-io.js';

export interface CorrectionsOptions {
  dataDir?: string;
  output?: string;
  json?: boolean;
}

/** The data dir's corrections, chat texts decrypted with the relay's master key (FMC_MASTER_KEY or the key file). */
function readCorrections(options: CorrectionsOptions, io: CommandIO): Correction[] {
  const dataDir = options.dataDir ?? loadConfig(io.env).dataDir;
  const data = openDataDb(dataDir);
  try {
    const env = loadServerEnv(io.env);
    return createCorrectionStore(data.db, () => openKeyring(data.db, masterKeySource(env.masterKey, dataDir))).list();
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
  const corrections = readCorrections(options, io);
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
  const stats = correctionStats(readCorrections(options, io));
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
