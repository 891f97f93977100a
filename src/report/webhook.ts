import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '../pipeline/retry.js';
import { valueName, type Strings } from './i18n.js';
import type { Alert } from './report-data.js';

// Alert delivery: one POST per alert, JSON with a Slack-compatible `text` (an incoming
// webhook shows it as the message) and the alert itself for machines.

export interface WebhookOptions {
  readonly timeoutMs: number;
  /** Requests per alert before giving up (first try included). */
  readonly attempts: number;
  readonly backoffMs: number;
}

export const DEFAULT_WEBHOOK_OPTIONS: WebhookOptions = { timeoutMs: 10_000, attempts: 4, backoffMs: 1000 };

export interface Delivery {
  readonly alert: Alert;
  readonly ok: boolean;
  readonly attempts: number;
  /** Why the last attempt failed. */
  readonly error?: string;
}

export function alertText(alert: Alert, t: Strings): string {
  return `fmc: ${valueName(t, alert.value)} spike, ${alert.count} claims from ${alert.start} to ${alert.end} (expected ${alert.expected}, score ${alert.score})`;
}

export function alertPayload(alert: Alert, t: Strings): { text: string; alert: Alert } {
  return { text: alertText(alert, t), alert };
}

/** POSTs one alert, retrying timeouts, network errors, 429 and 5xx with backoff. */
export async function postAlert(url: string, alert: Alert, t: Strings, options: WebhookOptions = DEFAULT_WEBHOOK_OPTIONS): Promise<Delivery> {
  const body = JSON.stringify(alertPayload(alert, t));
  let error = '';
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(options.timeoutMs) });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { alert, ok: true, attempts: attempt };
      error = `HTTP ${res.status}`;
      // A 4xx other than 429 will not change on a retry (wrong URL, bad token).
      if (res.status < 500 && res.status !== 429) return { alert, ok: false, attempts: attempt, error };
    } catch (err) {
      const e = err as Error;
      error = e.name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : ((e.cause as Error | undefined)?.message ?? e.message);
    }
    if (attempt < options.attempts) await sleep(backoffDelay(attempt, options.backoffMs, 30_000));
  }
  return { alert, ok: false, attempts: options.attempts, error };
}
