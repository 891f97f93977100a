import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ChunkCounts } from '../pipeline/chunk.js';
import type { ClassifierStats } from '../pipeline/classify.js';

export interface ServerMetrics {
  readonly registry: Registry;
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** Label and provider counts of labeled rows (JSON or CSV requests alike). */
  recordCounts(counts: ChunkCounts): void;
  /** Open WebSocket connections; the relay (next issue) moves it, 0 until then. */
  readonly wsConnections: Gauge;
}

// Sub-10 ms is the target, so the low buckets are where the detail must be.
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * One registry per app (never prom-client's global one: two apps in one test process would
 * share counters). Cache and tier-error counts are read from the classifier at scrape time
 * instead of on every row, so the hot path pays nothing for them.
 */
export function createServerMetrics(classifierStats: () => ClassifierStats): ServerMetrics {
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
  const rows = new Counter({ name: 'fmc_classified_rows_total', help: 'Rows labeled, by the tier that produced the labels', labelNames: ['provider'], registers: [registry] });
  const labels = new Counter({ name: 'fmc_classified_labels_total', help: 'Labels given, by field and value', labelNames: ['field', 'value'], registers: [registry] });

  // Counters that mirror cumulative classifier stats: each scrape adds what changed since the last.
  const seen = { hits: 0, misses: 0, errors: {} as Record<string, number> };
  new Counter({
    name: 'fmc_cache_hits_total',
    help: 'Result-cache lookups that found labels',
    registers: [registry],
    collect() {
      const s = classifierStats();
      this.inc(s.cacheHits - seen.hits);
      seen.hits = s.cacheHits;
    },
  });
  new Counter({
    name: 'fmc_cache_misses_total',
    help: 'Result-cache lookups that found nothing',
    registers: [registry],
    collect() {
      const s = classifierStats();
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
      for (const [tier, n] of Object.entries(classifierStats().tierErrors)) {
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
    recordCounts(counts) {
      for (const [provider, n] of Object.entries(counts.providers)) rows.inc({ provider }, n);
      for (const [field, values] of Object.entries(counts.labels)) {
        for (const [value, n] of Object.entries(values)) labels.inc({ field, value }, n);
      }
    },
  };
}
