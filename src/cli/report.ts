import { loadConfig } from '../config.js';
import { FmcError } from '../errors.js';
import { alertKey, openAlertState } from '../report/alert-state.js';
import { buildReportData, renderReportHtml } from '../report/build.js';
import { STRINGS, type Lang } from '../report/i18n.js';
import type { Granularity } from '../report/report-data.js';
import { DEFAULT_WEBHOOK_OPTIONS, postAlert, type WebhookOptions } from '../report/webhook.js';
import { isTimeZone } from '../report/zone.js';
import { checkOutputTarget } from '../pipeline/output-file.js';
import { writeFileAtomic } from './atomic-write.js';
import { checkDistinctPaths } from './path-guard.js';
import { cachePathFrom } from './chain-options.js';
import { processIO, type CommandIO } from './command-io.js';

export interface ReportOptions {
  output?: string;
  json?: string;
  dateColumn?: string;
  by?: Granularity;
  tz: string;
  lang: Lang;
  escalateBelow: number;
  alertWebhook?: string;
  /** false with --no-cache (then --alert-webhook is refused: it could not remember what it sent). */
  cache: string | boolean;
  minCount?: number;
  threshold?: number;
  window?: number;
  webhookTimeout?: number;
  webhookAttempts?: number;
  quiet?: boolean;
  /** Tests shorten the retry waits. */
  webhookBackoffMs?: number;
}

/** `fmc report`: returns the exit code; throws FmcError for anything the user must fix. */
export async function report(files: string[], options: ReportOptions, io: CommandIO = processIO()): Promise<number> {
  if (!options.output && !options.json) throw new FmcError('FMC_ERR_USAGE', 'nothing to write: pass -o report.html and/or --json report.json');
  if (!isTimeZone(options.tz)) throw new FmcError('FMC_ERR_USAGE', `--tz "${options.tz}" is not a time zone (an IANA name such as Europe/Paris or UTC)`);
  const config = loadConfig(io.env);
  const cachePath = cachePathFrom(config, options.cache);
  // Before a row is read: neither report file may be an input, the cache or the other one
  // (compared as files, through symlinks and hard links), and each must be writable.
  checkDistinctPaths([
    ...files.map((path) => ({ flag: 'input', path, writes: false })),
    ...(options.output ? [{ flag: '-o', path: options.output, writes: true }] : []),
    ...(options.json ? [{ flag: '--json', path: options.json, writes: true }] : []),
    ...(cachePath ? [{ flag: '--cache', path: cachePath, writes: true }] : []),
  ]);
  if (options.output) await checkOutputTarget(options.output);
  if (options.json) await checkOutputTarget(options.json, '--json');
  if (options.alertWebhook && !/^https?:\/\//.test(options.alertWebhook)) throw new FmcError('FMC_ERR_USAGE', `--alert-webhook "${options.alertWebhook}" is not an http(s) URL`);
  if (options.alertWebhook && cachePath === undefined) throw new FmcError('FMC_ERR_USAGE', '--alert-webhook needs the cache (it records the alerts sent): drop --no-cache');

  const data = await buildReportData(files, {
    tz: options.tz,
    by: options.by,
    dateColumn: options.dateColumn,
    escalateBelow: options.escalateBelow,
    spikes: { minCount: options.minCount, threshold: options.threshold, window: options.window },
  });
  // Both files are rendered before either is written: a failure leaves neither behind.
  const html = options.output ? renderReportHtml(data, options.lang) : undefined;
  if (options.output) await writeFileAtomic(options.output, html!, '-o');
  if (options.json) await writeFileAtomic(options.json, JSON.stringify(data, null, 2) + '\n', '--json');

  const lines: string[] = [];
  if (data.dates.unparseable > 0) lines.push(`fmc report: ${data.dates.unparseable} rows with an unreadable date left out of the time charts (first: ${data.dates.firstUnparseable})`);
  if (data.dates.column === null) lines.push('fmc report: no date column (date, created_at, timestamp, time; or --date-column): no time charts, no alerts');
  lines.push(`fmc report: ${data.kpis.volume} rows, ${data.alerts.length} alerts -> ${[options.output, options.json].filter(Boolean).join(', ')}`);

  let failed: string | undefined;
  if (options.alertWebhook && data.alerts.length > 0) {
    const state = openAlertState(cachePath!);
    const webhook: WebhookOptions = {
      timeoutMs: options.webhookTimeout ?? DEFAULT_WEBHOOK_OPTIONS.timeoutMs,
      attempts: options.webhookAttempts ?? DEFAULT_WEBHOOK_OPTIONS.attempts,
      backoffMs: options.webhookBackoffMs ?? DEFAULT_WEBHOOK_OPTIONS.backoffMs,
    };
    let sent = 0;
    let skipped = 0;
    const failures: string[] = [];
    try {
      for (const alert of data.alerts) {
        const key = alertKey(options.alertWebhook, alert);
        if (state.sent(key)) {
          skipped++;
          continue;
        }
        const delivery = await postAlert(options.alertWebhook, alert, STRINGS[options.lang], webhook);
        if (delivery.ok) {
          state.markSent(key);
          sent++;
        } else failures.push(`${alert.value} ${alert.start}: ${delivery.error} after ${delivery.attempts} attempts`);
      }
    } finally {
      state.close();
    }
    lines.push(`fmc report: webhook: ${sent} alerts sent, ${skipped} already sent before, ${failures.length} failed`);
    if (failures.length > 0) failed = `${failures.length} alert${failures.length > 1 ? 's' : ''} not delivered to ${options.alertWebhook} (${failures[0]}); the report is written; a rerun retries them`;
  }
  if (!options.quiet) io.stderr.write(lines.join('\n') + '\n');
  if (failed) throw new FmcError('FMC_ERR_WEBHOOK', failed);
  return 0;
}
