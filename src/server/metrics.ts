import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Counts } from '../pipeline/counts.js';

export interface ServerMetrics {
  readonly registry: Registry;
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** Open WebSocket connections; the relay (next issue) moves it, 0 until then. */
  readonly wsConnections: Gauge;
}

// Sub-10 ms is the target, so the low buckets are where the detail must be.
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * One registry per app (never prom-client's global one: two apps in one test process would
 * share counters). Row, label, cache and tier-error counts are the engine's own counters,
 * read at scrape time: every way in (CSV, JSON, chat) is counted where it is classified, and
 * the hot path pays nothing for the metrics.
 */
export function createServerMetrics(engineCounts: () => Counts): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'fmc_' });

  const requests = new Counter({ name: 'fmc_http_requests_total', help: 'HTTP requests by method, route and status', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const latency = new Histogram({
    name: 'fmc_http_request_duration_seconds',
    help: 'HTTP request latency, first byte received to last byte sent',
    labelNames: ['method', 'route', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  // Counters that mirror the engine's cumulative counts: each scrape adds what changed since the last.
  const seen = { hits: 0, misses: 0, errors: {} as Record<string, number>, providers: {} as Record<string, number>, labels: {} as Record<string, number> };
  new Counter({
    name: 'fmc_classified_rows_total',
    help: 'Rows labeled, by what produced the labels',
    labelNames: ['provider'],
    registers: [registry],
    collect() {
      for (const [provider, n] of Object.entries(engineCounts().providers)) {
        this.inc({ provider }, n - (seen.providers[provider] ?? 0));
        seen.providers[provider] = n;
      }
    },
  });
  new Counter({
    name: 'fmc_classified_labels_total',
    help: 'Labels given, by field and value',
    labelNames: ['field', 'value'],
    registers: [registry],
    collect() {
      for (const [field, values] of Object.entries(engineCounts().labels)) {
        for (const [value, n] of Object.entries(values)) {
          const key = `${field}=${value}`;
          this.inc({ field, value }, n - (seen.labels[key] ?? 0));
          seen.labels[key] = n;
        }
      }
    },
  });
  new Counter({
    name: 'fmc_cache_hits_total',
    help: 'Result-cache lookups that found labels',
    registers: [registry],
    collect() {
      const s = engineCounts();
      this.inc(s.cacheHits - seen.hits);
      seen.hits = s.cacheHits;
    },
  });
  new Counter({
    name: 'fmc_cache_misses_total',
    help: 'Result-cache lookups that found nothing',
    registers: [registry],
    collect() {
      const s = engineCounts();
      this.inc(s.cacheMisses - seen.misses);
      seen.misses = s.cacheMisses;
    },
  });
  new Counter({
    name: 'fmc_tier_errors_total',
    help: 'Failed tier calls (their items went to the next tier)',
    labelNames: ['tier'],
    registers: [registry],
    collect() {
      for (const [tier, n] of Object.entries(engineCounts().tierErrors)) {
        this.inc({ tier }, n - (seen.errors[tier] ?? 0));
        seen.errors[tier] = n;
      }
    },
  });
  const wsConnections = new Gauge({ name: 'fmc_ws_connections', help: 'Open WebSocket connections', registers: [registry] });

  return {
    registry,
    wsConnections,
    observeRequest(method, route, status, seconds) {
      const l = { method, route, status: String(status) };
      requests.inc(l);
      latency.observe(l, seconds);
    },
  };
}
