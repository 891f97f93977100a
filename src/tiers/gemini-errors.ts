import { z } from 'zod';
import { connectionError, httpFailureError, type FailureWords } from './http-failure.js';

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

const words = (model: string): FailureWords => ({
  tier: 'gemini',
  quotaSpent: (quota) => `gemini: daily quota exhausted (${quota}); rows go to the next tier until it resets, or use a key with more quota`,
  keyRefused: (message) => `gemini: the API key was refused (${message}); set a valid GEMINI_API_KEY`,
  modelMissing: (message) => `gemini: model ${model} not found (${message}); set GEMINI_MODEL to an available model`,
  unreachable: (code) => `gemini: cannot connect (${code}); check the network or GEMINI_BASE_URL`,
});

/**
 * Maps one failed call. `retryAfterMs` is the Retry-After header when one was seen; the
 * body's RetryInfo wins over it because it is the API's own figure.
 */
export function toTierError(err: unknown, model: string, retryAfterMs?: number): Error {
  const status = (err as { status?: unknown }).status;
  if (typeof status === 'number' && err instanceof Error) {
    const g = parseGoogleError(status, err.message);
    const exhausted = status === 429 || g.code === 'RESOURCE_EXHAUSTED';
    return httpFailureError(
      {
        status: exhausted ? 429 : status,
        message: status >= 500 ? `${g.code ?? ''} ${g.message}`.trim() : g.message,
        retryAfterMs: g.retryDelayMs ?? retryAfterMs,
        quotaSpent: exhausted ? g.quotaIds.find((id) => PER_DAY.test(id)) : undefined,
        keyRefused: g.reasons.includes('API_KEY_INVALID'),
      },
      words(model),
    );
  }
  return connectionError(err, words(model)) ?? (err instanceof Error ? err : new Error(String(err)));
}
