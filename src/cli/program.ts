import { isIP } from 'node:net';
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import { FmcError } from '../errors.js';
import { DELIMITER_CHOICES, parseDelimiter } from '../pipeline/dialect.js';
import { ALL_TIER_NAMES, PROVIDER_ALIASES, PROVIDERS } from '../tiers/registry.js';
import { VERSION } from '../version.js';

// Every command, flag and example lives here; actions lazy-import their module so that
// `fmc --help` never loads ONNX or Fastify. Each action resolves to an exit code.

export type Run = (code: number) => void;

/**
 * commander's own errors (unknown option, missing argument, bad value) in fmc's one-line
 * form: thrown as FmcError(FMC_ERR_USAGE, exit 2) for main.ts to print like any other,
 * naming the command whose --help explains it. Subcommands are made by createCommand, so
 * every level gets this.
 */
export class FmcCommand extends Command {
  override createCommand(name?: string): FmcCommand {
    return new FmcCommand(name);
  }

  override error(message: string, errorOptions?: { code?: string; exitCode?: number }): never {
    const text = message
      .replace(/^error: /, '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.length > 0)
      .join(' ');
    throw new FmcError('FMC_ERR_USAGE', `${text}; see \`${commandPath(this)} --help\``, { cause: errorOptions?.code });
  }
}

/** "fmc cache clear" for the clear subcommand. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

const integer = (name: string, min: number) => (raw: string): number => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
  return n;
};

const port = (raw: string): number => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('--port must be an integer from 0 to 65535 (0 = any free port)');
  return n;
};

// Defaults that come from the environment, said the same way in every command's help.
const CACHE_DEFAULT = '(default: $FMC_CACHE or ~/.cache/fmc/cache.sqlite)';
const DATA_DIR_DEFAULT = '(default: $FMC_DATA_DIR or ~/.local/share/fmc)';
const USERS_DATABASE_URL_HELP = 'the PostgreSQL whose users every fmc serve on it shares, e.g. postgres://fmc@db:5432/fmc (default: $FMC_DATABASE_URL; none = the data dir)';
const DATABASE_URL_HELP = 'PostgreSQL shared by several machines (result cache, --rpm and quota, --queue), e.g. postgres://fmc@db:5432/fmc (default: $FMC_DATABASE_URL; none = the SQLite files)';

const fraction = (raw: string): number => {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('must be a number between 0 and 1');
  return n;
};

const seconds = (raw: string): number => {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number of seconds');
  return Math.round(n * 1000);
};

const delimiter = (raw: string): string => {
  const d = parseDelimiter(raw);
  if (d === undefined) throw new InvalidArgumentError(`expected one of ${DELIMITER_CHOICES.join(' ')}`);
  return d;
};

/** `--trust-proxy`: a comma list of addresses or CIDRs, or proxy-addr's names for ranges. */
const proxyList = (raw: string): string[] => {
  const entries = raw.split(',').map((e) => e.trim()).filter((e) => e.length > 0);
  const valid = (e: string): boolean => {
    if (['loopback', 'linklocal', 'uniquelocal'].includes(e)) return true;
    const [address, prefix, extra] = e.split('/');
    const family = isIP(address!);
    return extra === undefined && family !== 0 && (prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128)));
  };
  const bad = entries.find((e) => !valid(e));
  if (entries.length === 0 || bad !== undefined) throw new InvalidArgumentError(`${bad === undefined ? 'empty' : `"${bad}"`}: expected IP addresses or CIDRs, comma-separated, or loopback`);
  return entries;
};

/**
 * An option whose choices are tier names: an old spelling (PROVIDER_ALIASES) still works,
 * with a one-line note on stderr naming the new one. The help lists the current names only.
 */
function tierNameOption(option: Option): Option {
  const flag = option.long ?? option.flags;
  const check = option.parseArg!;
  return option.argParser((value: string, previous: unknown) => {
    const renamed = Object.hasOwn(PROVIDER_ALIASES, value) ? PROVIDER_ALIASES[value] : undefined;
    if (renamed) process.stderr.write(`fmc: ${flag} ${value} is deprecated: it is now ${flag} ${renamed}\n`);
    return check(renamed ?? value, previous);
  });
}

/** `--provider`, one of PROVIDERS. */
function providerOption(description: string): Option {
  return tierNameOption(new Option('--provider <name>', description).choices(PROVIDERS).default('auto'));
}

/** Options shared by the commands that run the tier chain. */
function withChainOptions(cmd: Command): Command {
  return cmd
    .addOption(providerOption('tier to use; auto = the best available chain'))
    .option('--concurrency <n>', 'tier calls in flight at once', integer('--concurrency', 1), 4)
    .option('--batch-size <n>', 'tweets per tier call (LLM request)', integer('--batch-size', 1), 20)
    .option('--cache <path>', `SQLite result cache ${CACHE_DEFAULT}`)
    .option('--no-cache', 'do not read or write the result cache')
    .option('--database-url <url>', DATABASE_URL_HELP)
    .option('--model-dir <dir>', 'local model folders (default: $FMC_MODEL_DIR, else the built-in model)')
    .option('--allow-remote', 'let the local model tier load --hub-model from the Hugging Face hub (needs network)')
    .option('--hub-model <id>', 'a hub sentiment model replacing the local sentiment head, e.g. Xenova/distilbert-base-multilingual-cased-sentiments-student (needs --allow-remote) (default: none)')
    .option('--timeout <seconds>', 'per-request timeout for tier calls (default: $FMC_TIMEOUT_MS / 1000, else 30)', seconds)
    .option('--max-wait <seconds>', 'longest server-requested retry wait before giving up on a tier (default: 60)', seconds)
    .option('--rpm <n>', 'requests per minute per LLM tier (default: 0 = unlimited)', integer('--rpm', 0))
    .option('--escalate-below <confidence>', 'cascade: run local tiers first, send only answers below this confidence to LLM tiers (default: off)', fraction)
    .option('--examples <file...>', 'labeled CSVs (fmc corrections export, reviewed fmc sample files) added to the pool the LLM prompt picks its examples from (default: none)')
    .option('--log-level <level>', 'log level on stderr: human lines on a terminal, JSON otherwise (default: $FMC_LOG_LEVEL or warn)');
}

export function buildProgram(run: Run): Command {
  const program = new FmcCommand('fmc')
    .description('Triage labels (is_claim, sentiment, topic, incident, urgency) for French telecom tweets and chat messages.')
    .version(VERSION)
    .exitOverride()
    .addHelpText(
      'after',
      '\nExamples:\n  npx fmc classify fixtures/tweets.csv -o /tmp/out.csv     # from a clone (or `npm link` once, then fmc …)\n  fmc classify --help\n  fmc eval fixtures/dev.csv --provider rules\n  fmc serve --port 8502\n\nExit codes: 0 ok, 1 runtime error, 2 usage or input error, 3 health degraded, 75 locked, 130/143 interrupted.',
    );

  withChainOptions(
    program
      .command('classify')
      .description('label every row of a CSV/JSONL file (or - for stdin)')
      .argument('<input>', 'CSV or JSONL file, or - for stdin')
      .option('-o, --output <path>', 'output file, - for stdout (default: <input>.classified.csv beside the input; .xlsx for an .xlsx input)')
      .addOption(new Option('--format <format>', 'output format (default: from the extension)').choices(['csv', 'jsonl', 'xlsx']))
      .addOption(new Option('--input-format <format>', 'input format (default: from the extension)').choices(['csv', 'jsonl', 'xlsx']))
      .option('--sheet <name|number>', 'XLSX input: the sheet to read (default: the first)')
      .option('--delimiter <char>', `CSV output delimiter: ${DELIMITER_CHOICES.join(' ')} (default: the input's)`, delimiter)
      .option('--bom', "CSV output starts with a UTF-8 BOM (default: if the input had one or was Windows-1252)")
      .option('--no-bom', 'CSV output without a BOM')
      .option('--crlf', 'CSV output lines end in CRLF (default: if the input\'s did)')
      .option('--no-crlf', 'CSV output lines end in LF')
      .option('--no-escape-formulas', "CSV output: leave cells starting with = + - @ tab CR as they are (default: prefix ' so spreadsheets do not run them)")
      .option('--text-column <name>', 'column holding the tweet (default: text, tweet, full_text, content, message or texte)')
      .option('--id-column <name>', 'column holding a row id (reported with skipped rows) (default: none)')
      .option('--author-column <name>', 'column naming the author; the operator\'s accounts (FMC_OPERATOR_ACCOUNTS) post no claims (default: author, user, username, screen_name or user_name)')
      .option('--skip-invalid', 'skip malformed rows (counted and listed in the summary) instead of stopping')
      .addOption(new Option('--encoding <name>', 'input encoding (default: sniffed)').choices(['utf-8', 'windows-1252']))
      .option('--max-record-size <chars>', 'largest accepted CSV field or JSONL line (default: 1048576)', integer('--max-record-size', 1))
      .option('--no-hashtags', 'drop hashtags instead of keeping their words')
      .option('--dry-run', 'print how many rows and requests each tier would take (after cache), write nothing')
      .option('-q, --quiet', 'no progress and no summary on stderr')
      .option('--summary-json <path>', 'also write the run summary as JSON, - for stdout (default: none)')
      .option('--lock <path>', 'take an exclusive lock file; a second concurrent run exits 75 (default: no lock)')
      .option('--report <html>', 'also write the fmc report of the output file at the end of the run (HTML) (default: none)')
      .option('--queue', 'spread the rows over `fmc worker` processes through PostgreSQL (FMC_DATABASE_URL); this process sends chunks and writes the output; the same command again resumes')
      .option('--cancel', 'remove the queued chunks and stored labels of <input> (after an interrupted --queue run) and exit')
      .option('--chunk-rows <n>', '--queue: rows per chunk job (default: 500)', integer('--chunk-rows', 1)),
  )
    .addHelpText('after', '\nExamples:\n  fmc classify fixtures/tweets.csv -o /tmp/out.csv\n  cat fixtures/tweets.csv | fmc classify - -o - --provider rules > /tmp/labeled.csv\n  fmc classify <your-export.csv> --lock /tmp/fmc.lock --summary-json /tmp/summary.json --quiet\n  fmc classify fixtures/tweets.csv -o /tmp/out.csv --provider rules --report /tmp/report.html')
    .action(async (input: string, options) => run(await (await import('./classify-command.js')).classify(input, options)));

  withChainOptions(
    program
      .command('worker')
      .description('take chunks queued by `fmc classify --queue` from PostgreSQL and label them with this machine\'s tiers, until SIGTERM (finishes its chunk, then exits)')
      .option('-q, --quiet', 'no line per chunk on stderr'),
  )
    .addHelpText('after', '\nExamples:\n  fmc worker --provider ollama --concurrency 8 --database-url postgres://fmc@db.example/fmc\n  fmc classify big.csv -o out.csv --queue      # on the coordinating machine, FMC_DATABASE_URL set')
    .action(async (options) => run(await (await import('./worker.js')).worker(options)));

  withChainOptions(
    program
      .command('eval')
      .description('classify a labeled CSV and print accuracy, macro-F1 and confusion matrices')
      .argument('<labeled>', 'CSV with text and is_claim, sentiment, topic, incident, urgency columns')
      .option('--text-column <name>', 'column holding the tweet (default: text, tweet, full_text, content, message or texte)')
      .option('--author-column <name>', 'column naming the author; the operator\'s accounts (FMC_OPERATOR_ACCOUNTS) post no claims (default: author, user, username, screen_name or user_name)')
      .option('--target-accuracy <fraction>', 'all-five accuracy the suggested --escalate-below threshold must reach (default: 0.95)', fraction)
      .option('--json', 'machine-readable report on stdout'),
  )
    .addHelpText('after', '\nExamples:\n  fmc eval fixtures/dev.csv --provider rules\n  fmc eval fixtures/dev.csv --provider rules --json > /tmp/rules-dev.json\n  fmc eval fixtures/dev.csv --target-accuracy 0.9 --json')
    .action(async (path: string, options) => run(await (await import('./eval.js')).evalCommand(path, options)));

  program
    .command('train')
    .description('train the local model from labeled CSV files and write Transformers.js model folders')
    .argument('<labeled...>', 'CSV files with text and is_claim, sentiment, topic, incident, urgency columns')
    .requiredOption('--out <dir>', 'model folder to write (replaced atomically) (required)')
    .option('--seed <n>', 'seed for the cross-validation folds', integer('--seed', 0), 1)
    .option('--unlabeled <file...>', 'unlabeled CSV/JSONL tweets that widen the vocabulary (default: none)')
    .option('--no-hybrid', 'skip fitting the model + rules combiner (faster; the auto chain then needs another model)')
    .option('--text-column <name>', 'column holding the tweet (default: text, tweet, full_text, content, message or texte)')
    .option('--author-column <name>', 'column naming the author (default: author, user, username, screen_name or user_name)')
    .option('--json', 'print the training report as JSON')
    .addHelpText('after', '\nExamples:\n  fmc train fixtures/train.csv --out /tmp/m --unlabeled fixtures/tweets.csv\n  fmc eval fixtures/dev.csv --model-dir /tmp/m')
    .action(async (files: string[], options) => run(await (await import('./train.js')).trainCommand(files, options)));

  program
    .command('sample')
    .description('pick the rows of a classified file most worth a human look, one per distinct text, into a review CSV with empty gold_* columns')
    .argument('<classified>', 'CSV or JSONL written by fmc classify (labels and confidence columns)')
    .requiredOption('-n, --count <n>', 'rows to pick', integer('-n', 0))
    .addOption(new Option('--strategy <name>', 'uncertain: lowest confidence; disagreement: the rules tier disagrees most; random').choices(['uncertain', 'disagreement', 'random']).default('uncertain'))
    .option('-o, --output <path>', 'review CSV to write, - for stdout (required)')
    .option('--seed <n>', 'seed of the random strategy', integer('--seed', 0), 1)
    .option('--text-column <name>', 'column holding the tweet (default: text, tweet, full_text, content, message or texte)')
    .addHelpText('after', '\nExamples:\n  fmc classify fixtures/tweets.csv -o /tmp/labeled.csv\n  fmc sample /tmp/labeled.csv -n 200 --strategy uncertain -o /tmp/review.csv\n  fmc train fixtures/train.csv /tmp/review.csv --out /tmp/m     # after filling gold_* columns')
    .action(async (input: string, options) => run(await (await import('./sample.js')).sample(input, options)));

  program
    .command('report')
    .description('KPIs, charts and spike alerts from files fmc classify wrote: one self-contained HTML page and/or JSON')
    .argument('<classified...>', 'CSV or JSONL files written by fmc classify (same columns)')
    .option('-o, --output <path>', 'HTML report to write (default: none; give -o, --json or both)')
    .option('--json <path>', 'the same figures as JSON (kpis, series, matrices, alerts) (default: none)')
    .option('--date-column <name>', 'column holding the date (default: date, created_at, timestamp or time)')
    .addOption(new Option('--by <bucket>', 'time bucket (default: from the span: hour up to 3 days, day up to 120, else week)').choices(['hour', 'day', 'week']))
    .option('--tz <zone>', 'IANA time zone for buckets and dates without an offset', 'Europe/Paris')
    .addOption(new Option('--lang <lang>', 'report language').choices(['en', 'fr']).default('en'))
    .option('--escalate-below <confidence>', 'confidence under which a row counts as to be escalated (KPI)', fraction, 0.6)
    .option('--min-count <n>', 'smallest bucket count that can raise an alert', integer('--min-count', 1), 5)
    .option('--threshold <z>', 'robust z-score that raises an alert', (raw: string) => {
      const n = Number(raw);
      if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
      return n;
    }, 4)
    .option('--window <n>', 'previous buckets the baseline is the median of (default: 24 hours, 14 days or 8 weeks)', integer('--window', 2))
    .option('--alert-webhook <url>', 'POST each new alert as JSON (Slack-compatible text); never twice for the same bucket (default: none)')
    .option('--webhook-timeout <seconds>', 'per-request timeout of the webhook (default: 10)', seconds)
    .option('--cache <path>', `cache database, where sent alerts are remembered ${CACHE_DEFAULT}`)
    .option('--no-cache', 'no cache (refused with --alert-webhook)')
    .option('-q, --quiet', 'no summary on stderr')
    .addHelpText('after', '\nExamples:\n  fmc classify fixtures/tweets.csv -o /tmp/tweets.classified.csv --provider rules\n  fmc report /tmp/tweets.classified.csv -o /tmp/report.html --json /tmp/report.json\n  fmc report day1.classified.csv day2.classified.csv -o week.html --lang fr --by day\n  fmc report /tmp/tweets.classified.csv -o /tmp/report.html --alert-webhook https://hooks.slack.com/services/T000/B000/XXXX\n\nExit codes: 0 written; 2 bad input (one line naming file:line); 4 written, but an alert was not delivered (retried)')
    .action(async (files: string[], options) => run(await (await import('./report.js')).report(files, options)));

  const cache = program
    .command('cache')
    .description('inspect or empty the result cache')
    .addHelpText('after', '\nExamples:\n  fmc cache stats\n  fmc cache clear --tier gemini');
  cache
    .command('stats')
    .description('entries per tier and file size')
    .option('--cache <path>', `cache file ${CACHE_DEFAULT}`)
    .option('--json', 'JSON output')
    .addHelpText('after', '\nExamples:\n  fmc cache stats\n  fmc cache stats --json')
    .option('--database-url <url>', DATABASE_URL_HELP)
    .action(async (options) => run(await (await import('./cache.js')).cacheStats(options)));
  cache
    .command('clear')
    .description('remove cached results (all, or one tier)')
    .option('--cache <path>', `cache file ${CACHE_DEFAULT}`)
    .addOption(tierNameOption(new Option('--tier <name>', 'only the results of this tier (default: every tier)').choices(ALL_TIER_NAMES)))
    .addHelpText('after', '\nExamples:\n  fmc cache clear\n  fmc cache clear --tier gemini')
    .option('--database-url <url>', DATABASE_URL_HELP)
    .action(async (options) => run(await (await import('./cache.js')).cacheClear(options)));
  cache
    .command('prune')
    .description('remove old answers: written before --older-than, then the oldest until the file fits --max-size; compacts the file')
    .option('--cache <path>', `cache file ${CACHE_DEFAULT}`)
    .option('--older-than <age>', 'remove entries written longer ago than this: 30d, 12h, 90m (s, m, h, d, w) (default: none; give this, --max-size or both)')
    .option('--max-size <size>', 'then remove the oldest until the file is at most this: 500MB, 2GB, 100MiB (default: no size limit)')
    .addHelpText('after', '\nExamples:\n  fmc cache prune --older-than 30d\n  fmc cache prune --max-size 500MB')
    .option('--database-url <url>', DATABASE_URL_HELP)
    .action(async (options) => run(await (await import('./cache.js')).cachePrune(options)));

  program
    .command('health')
    .description('check configuration, databases, tiers, disk space and (with --url) a running server; exit 0 ok, 1 failed, 3 only optional tiers down')
    .option('--json', 'JSON output')
    .option('--url <base>', 'also check a running server, e.g. http://127.0.0.1:8502 (default: none)')
    .option('--deep', 'let tiers make their free remote checks (Gemini model lookup); never a paid call')
    .addOption(providerOption('check only the tiers of this chain, as given to fmc serve'))
    .option('--data-dir <dir>', `data directory ${DATA_DIR_DEFAULT}`)
    .option('--cache <path>', `cache file ${CACHE_DEFAULT}`)
    .option('--database-url <url>', DATABASE_URL_HELP)
    .option('--model-dir <dir>', 'local model folders (default: $FMC_MODEL_DIR, else the built-in model)')
    .option('--min-free <MiB>', 'least free space in the data dir', integer('--min-free', 0), 512)
    .option('--timeout <seconds>', 'wait this long for --url (default: 5)', seconds)
    .addHelpText('after', '\nExamples:\n  fmc health\n  fmc health --json --url http://127.0.0.1:8502')
    .action(async (options) => run(await (await import('./health.js')).health(options)));

  program
    .command('backup')
    .description('copy every database of the data dir, its secrets (not the master key, unless asked) and the result cache into a new dated folder (SQLite online backup: safe while serving)')
    .argument('<dir>', 'where backup folders go')
    .option('--data-dir <dir>', `data directory ${DATA_DIR_DEFAULT}`)
    .option('--cache <path>', `cache file ${CACHE_DEFAULT}`)
    .option('--no-cache', 'leave the result cache out')
    .option('--database-url <url>', `${DATABASE_URL_HELP}; in that mode back up with pg_dump`)
    .option('--keep <n>', 'then delete all but the newest n backup folders in <dir> (default: keep them all)', integer('--keep', 1))
    .option('--include-master-key', "also copy <data-dir>/master-key (a leaked backup then opens every conversation); default: left out, save it apart")
    .addHelpText('after', '\nExamples:\n  fmc backup /var/backups/fmc --keep 14')
    .action(async (dir: string, options) => run(await (await import('./backup.js')).backup(dir, options)));

  program
    .command('restore')
    .description('put a backup back: a backup folder or its manifest.json restores everything, one .sqlite file only that database (refused while fmc serve holds the data dir: stop the service first)')
    .argument('<file>', 'backup folder, its manifest.json, or one database file from it')
    .option('--data-dir <dir>', `data directory ${DATA_DIR_DEFAULT}`)
    .option('--cache <path>', `cache file ${CACHE_DEFAULT}`)
    .option('--database-url <url>', `${DATABASE_URL_HELP}; in that mode restore with pg_restore`)
    .addHelpText('after', '\nExamples:\n  fmc restore /var/backups/fmc/fmc-backup-20261129T191300Z')
    .action(async (file: string, options) => run(await (await import('./backup.js')).restore(file, options)));

  withChainOptions(
    program
      .command('serve')
      .description('serve the classification pipeline over HTTP (JSON and CSV), with auth, health and metrics')
      .option('--port <n>', 'TCP port (0 = any free port, printed on stderr)', port, 8502)
      .option('--host <address>', 'address to bind', '127.0.0.1')
      .option('--data-dir <dir>', `users database and generated secrets ${DATA_DIR_DEFAULT}`)
      .option('--require-auth', 'require an agent or admin token on /api/classify (default: on unless the host is loopback)')
      .option('--no-require-auth', 'let anyone call /api/classify, even on a non-loopback host')
      .option('--allow-signup', 'let anyone create a customer account (POST /api/auth/signup)')
      .option('--rate-limit <n>', 'requests per minute per IP, or per user with a token (0 = off)', integer('--rate-limit', 0), 600)
      .option('--trust-proxy <addresses>', "reverse proxies whose X-Forwarded-For gives the client's IP (comma list of IPs/CIDRs, or loopback), e.g. 127.0.0.1 behind nginx (default: none, the socket's peer is the client)", proxyList),
  )
    .addHelpText('after', '\nExamples:\n  fmc serve --port 8502\n  FMC_CORS_ORIGINS=https://agents.example.com fmc serve --host 0.0.0.0 --provider rules\n  curl -s localhost:8502/api/classify -H "content-type: application/json" -d \'{"texts":["plus de connexion depuis hier"]}\'')
    .action(async (options) => run(await (await import('./serve.js')).serve(options)));

  const users = program
    .command('users')
    .description('manage the accounts of `fmc serve` (admin, agent, customer)')
    .addHelpText('after', '\nExamples:\n  fmc users add alice --role admin\n  fmc users list');
  users
    .command('add')
    .description('create a user; the password is prompted for, or read as one line from stdin')
    .argument('<name>', 'user name (2-32 characters: letters, digits, . _ -)')
    .addOption(new Option('--role <role>', 'what the user may do').choices(['admin', 'agent', 'customer']).default('agent'))
    .option('--data-dir <dir>', `data directory ${DATA_DIR_DEFAULT}`)
    .option('--database-url <url>', USERS_DATABASE_URL_HELP)
    .addHelpText('after', '\nExamples:\n  fmc users add alice --role admin\n  printf "%s\\n" "$PASSWORD" | fmc users add bot --role agent')
    .action(async (name: string, options) => run(await (await import('./users.js')).usersAdd(name, options)));
  users
    .command('list')
    .description('list users and their roles')
    .option('--data-dir <dir>', `data directory ${DATA_DIR_DEFAULT}`)
    .option('--database-url <url>', USERS_DATABASE_URL_HELP)
    .option('--json', 'JSON output')
    .addHelpText('after', '\nExamples:\n  fmc users list\n  fmc users list --json')
    .action(async (options) => run(await (await import('./users.js')).usersList(options)));
  users
    .command('remove')
    .description("delete a user; their tokens stop working at once, and a customer's conversations are deleted (asked first)")
    .argument('<name>', 'user name')
    .option('--data-dir <dir>', `data directory ${DATA_DIR_DEFAULT}`)
    .option('--database-url <url>', USERS_DATABASE_URL_HELP)
    .option('--yes', "delete a customer's conversations without asking (needed when stdin is not a terminal)")
    .addHelpText('after', '\nExamples:\n  fmc users remove alice\n  fmc users remove claire --yes')
    .action(async (name: string, options) => run(await (await import('./users.js')).usersRemove(name, options)));
  users
    .command('passwd')
    .description('set a new password (prompted twice, or one line from stdin); the user\'s tokens stop working')
    .argument('<name>', 'user name')
    .option('--data-dir <dir>', `data directory ${DATA_DIR_DEFAULT}`)
    .option('--database-url <url>', USERS_DATABASE_URL_HELP)
    .addHelpText('after', '\nExamples:\n  fmc users passwd alice\n  printf "%s\\n" "$PASSWORD" | fmc users passwd bot')
    .action(async (name: string, options) => run(await (await import('./users.js')).usersPasswd(name, options)));
  users
    .command('role')
    .description('change a user\'s role; it applies at once')
    .argument('<name>', 'user name')
    .addArgument(new Argument('<role>', 'the new role').choices(['admin', 'agent', 'customer']))
    .option('--data-dir <dir>', `data directory ${DATA_DIR_DEFAULT}`)
    .option('--database-url <url>', USERS_DATABASE_URL_HELP)
    .addHelpText('after', '\nExamples:\n  fmc users role alice admin')
    .action(async (name: string, role: string, options) => run(await (await import('./users.js')).usersRole(name, role, options)));
  users
    .command('name')
    .description('set the name customers see for an agent or admin (instead of the login); without one, clears it')
    .argument('<name>', 'user name')
    .argument('[display-name]', 'e.g. "Sophie M." (1-64 characters)')
    .option('--data-dir <dir>', `data directory ${DATA_DIR_DEFAULT}`)
    .option('--database-url <url>', USERS_DATABASE_URL_HELP)
    .addHelpText('after', '\nExamples:\n  fmc users name alice "Alice, Free support"\n  fmc users name alice')
    .action(async (name: string, displayName: string | undefined, options) => run(await (await import('./users.js')).usersName(name, displayName, options)));

  const corrections = program
    .command('corrections')
    .description("agents' label corrections (dashboard, POST /api/corrections): export them for `fmc train`, or see what they change")
    .addHelpText('after', '\nExamples:\n  fmc corrections export -o /tmp/corrections.csv\n  fmc corrections stats');
  corrections
    .command('export')
    .description('write every correction as CSV: text, the five corrected labels, the original ones, provider, who and when (chat texts decrypted)')
    .option('-o, --output <path>', 'CSV file to write (created 0600), - for stdout (required)')
    .option('--data-dir <dir>', `data directory ${DATA_DIR_DEFAULT}`)
    .option('--database-url <url>', 'the PostgreSQL every fmc serve shares (default FMC_DATABASE_URL); without it, the data dir')
    .addHelpText('after', '\nExamples:\n  fmc corrections export -o corrections.csv\n  fmc train fixtures/train.csv corrections.csv --out /tmp/m')
    .action(async (options) => run(await (await import('./corrections.js')).correctionsExport(options)));
  corrections
    .command('stats')
    .description('how often agents override each field, and the dominant predicted -> corrected pairs, per provider')
    .option('--data-dir <dir>', `data directory ${DATA_DIR_DEFAULT}`)
    .option('--database-url <url>', 'the PostgreSQL every fmc serve shares (default FMC_DATABASE_URL); without it, the data dir')
    .option('--json', 'JSON output')
    .addHelpText('after', '\nExamples:\n  fmc corrections stats\n  fmc corrections stats --json')
    .action(async (options) => run(await (await import('./corrections.js')).correctionsStats(options)));

  const replies = program
    .command('replies')
    .description("the agents' canned replies, typed as /shortcut in the dashboard's message input")
    .addHelpText('after', '\nExamples:\n  fmc replies list\n  fmc replies add box-bloquee --title "Box bloquée" "Pouvez-vous me dire ce qu\'affiche votre Freebox ?"');
  replies
    .command('add')
    .description('add a reply; its text from the arguments, or one line of stdin when none is given')
    .argument('<shortcut>', 'what follows "/" in the input (1-32 characters: letters, digits, _ -)')
    .argument('[text...]', 'the reply (up to 2,000 characters)')
    .option('--title <title>', 'shown in the list of suggestions (default: the shortcut)')
    .option('--data-dir <dir>', `data directory ${DATA_DIR_DEFAULT}`)
    .option('--database-url <url>', 'the PostgreSQL every fmc serve shares (default FMC_DATABASE_URL); without it, the data dir')
    .addHelpText('after', '\nExamples:\n  fmc replies add box-bloquee --title "Box bloquée" "Pouvez-vous me dire ce qu\'affiche votre Freebox ?"\n  printf "%s\\n" "$TEXT" | fmc replies add delai')
    .action(async (shortcut: string, text: string[], options) => run(await (await import('./replies.js')).repliesAdd(shortcut, text, options)));
  replies
    .command('list')
    .description('list the canned replies')
    .option('--data-dir <dir>', `data directory ${DATA_DIR_DEFAULT}`)
    .option('--database-url <url>', 'the PostgreSQL every fmc serve shares (default FMC_DATABASE_URL); without it, the data dir')
    .option('--json', 'JSON output')
    .addHelpText('after', '\nExamples:\n  fmc replies list\n  fmc replies list --json')
    .action(async (options) => run(await (await import('./replies.js')).repliesList(options)));
  replies
    .command('remove')
    .description('remove a canned reply')
    .argument('<shortcut>', 'the reply to remove')
    .option('--data-dir <dir>', `data directory ${DATA_DIR_DEFAULT}`)
    .option('--database-url <url>', 'the PostgreSQL every fmc serve shares (default FMC_DATABASE_URL); without it, the data dir')
    .addHelpText('after', '\nExamples:\n  fmc replies remove cloture')
    .action(async (shortcut: string, options) => run(await (await import('./replies.js')).repliesRemove(shortcut, options)));

  const keys = program
    .command('keys')
    .description("manage the relay's master key (encrypts the conversations' data keys)")
    .addHelpText('after', '\nExamples:\n  fmc keys rotate --data-dir /srv/fmc');
  keys
    .command('rotate')
    .description('re-wrap every data key under a new master key (messages are not re-encrypted); stop fmc serve first')
    .option('--data-dir <dir>', `data directory ${DATA_DIR_DEFAULT}`)
    .option('--database-url <url>', 'the PostgreSQL the conversations are in (default FMC_DATABASE_URL); refused while any fmc serve runs on it')
    .addHelpText('after', '\nExamples:\n  fmc keys rotate                       # key file in the data dir: replaced by a new one\n  (umask 077 && openssl rand -base64 32 > master-key.new)   # with FMC_MASTER_KEY set: keep the new key first\n  FMC_NEW_MASTER_KEY=$(cat master-key.new) fmc keys rotate')
    .action(async (options) => run(await (await import('./keys.js')).keysRotate(options)));

  return program;
}
