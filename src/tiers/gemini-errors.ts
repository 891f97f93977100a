import { z } from 'zod';
import { TierRetryableError, TierUnavailableError } from './tier.js';
import { isNetworkFailure, unreachableCode } from './net-errors.js';

// Turns what @google/genai throws into the chain's two kinds of failure. Its ApiError carries
// the HTTP status and, as its message, the JSON error body:
// {error:{code,status,message,details:[{'@type':'type.googleapis.com/google.rpc.RetryInfo',retryDelay:'13s'},
//  {'@type':'type.googleapis.com/google.rpc.QuotaFailure',violations:[{quotaId:'GenerateRequestsPerDayPerProjectPerModel-FreeTier'}]}]}}

const Detail = z.looseObject({
  '@type': z.string(),
  retryDelay: z.string().optional(),
  violations: z.array(z.looseObject({ quotaId: z.string().optional(), quotaMetric: z.string().optional() })).optional(),
  reason: z.string().optional(),
});
const ErrorBody = z.object({
  error: z.looseObject({
    code: z.number().optional(),
    status: z.string().optional(),
    message: z.string().optional(),
    details: z.array(z.unknown()).optional(),
  }),
});

export interface GoogleError {
  readonly status: number;
  readonly code?: string | undefined;
  readonly message: string;
  readonly retryDelayMs?: number | undefined;
  readonly quotaIds: readonly string[];
  readonly reasons: readonly string[];
}

/** google.protobuf.Duration in JSON: "13s", "0.200s". */
export function parseDuration(value: string | undefined): number | undefined {
  const m = value?.match(/^(\d+(?:\.\d+)?)s$/);
  return m ? Math.round(Number(m[1]) * 1000) : undefined;
}

export function parseGoogleError(status: number, body: string): GoogleError {
  let parsed: z.infer<typeof ErrorBody> | undefined;
  try {
    parsed = ErrorBody.parse(JSON.parse(body));
  } catch {
    return { status, message: body.slice(0, 200), quotaIds: [], reasons: [] };
  }
  const details = (parsed.error.details ?? []).flatMap((d) => {
    const r = Detail.safeParse(d);
    return r.success ? [r.data] : [];
  });
  const retryInfo = details.find((d) => d['@type'].endsWith('google.rpc.RetryInfo'));
  return {
    status,
    code: parsed.error.status,
    message: parsed.error.message ?? `HTTP ${status}`,
    retryDelayMs: parseDuration(retryInfo?.retryDelay),
    quotaIds: details.flatMap((d) => (d.violations ?? []).flatMap((v) => [v.quotaId, v.quotaMetric].filter((x): x is string => !!x))),
    reasons: details.flatMap((d) => (d.reason ? [d.reason] : [])),
  };
}

const PER_DAY = /per.?day/i;

/**
 * Maps one failed call. `retryAfterMs` is the Retry-After header when one was seen; the
 * body's RetryInfo wins over it because it is the API's own figure.
 */
export function toTierError(err: unknown, model: string, retryAfterMs?: number): Error {
  const status = (err as { status?: unknown }).status;
  if (typeof status === 'number' && err instanceof Error) {
    const g = parseGoogleError(status, err.message);
    const wait = g.retryDelayMs ?? retryAfterMs;
    if (status === 429 || g.code === 'RESOURCE_EXHAUSTED') {
      const daily = g.quotaIds.find((id) => PER_DAY.test(id));
      if (daily) return new TierUnavailableError('gemini', `gemini: daily quota exhausted (${daily}); rows go to the next tier until it resets, or use a key with more quota`);
      return new TierRetryableError('gemini', `gemini: rate limited (${g.message})`, wait);
    }
    if (status >= 500) return new TierRetryableError('gemini', `gemini: HTTP ${status} ${g.code ?? ''} ${g.message}`.trim(), wait);
    if (status === 401 || status === 403 || g.reasons.includes('API_KEY_INVALID')) {
      return new TierUnavailableError('gemini', `gemini: the API key was refused (${g.message}); set a valid GEMINI_API_KEY`);
    }
    if (status === 404) return new TierUnavailableError('gemini', `gemini: model ${model} not found (${g.message}); set GEMINI_MODEL to an available model`);
    return new Error(`gemini: HTTP ${status} ${g.code ?? ''} ${g.message}`);
  }
  const code = unreachableCode(err);
  if (code) return new TierUnavailableError('gemini', `gemini: cannot connect (${code}); check the network or GEMINI_BASE_URL`);
  if (isNetworkFailure(err)) return new TierRetryableError('gemini', `gemini: ${(err as Error).message}`);
  return err instanceof Error ? err : new Error(String(err));
}
