import { FmcError } from '../../errors.js';
import { URGENCIES, type Urgency } from '../../labels.js';

// The answer-time targets per urgency (FMC_SLA_MINUTES), read by the console's list and the
// admin page's breach statistics. Pure: the clock is a parameter.

export type SlaTargets = Readonly<Record<Urgency, number>>;

export const DEFAULT_SLA_MINUTES: SlaTargets = Object.freeze({ high: 15, medium: 60, low: 240 });

/**
 * `high=15,medium=60,low=240` (minutes, any order, spaces allowed); an urgency left out keeps
 * its default. Anything else is an FMC_ERR_CONFIG naming the entry.
 */
export function parseSlaMinutes(raw: string | undefined): SlaTargets {
  if (raw === undefined || raw.trim() === '') return DEFAULT_SLA_MINUTES;
  const targets: Record<Urgency, number> = { ...DEFAULT_SLA_MINUTES };
  const entries = raw.split(',');
  entries.forEach((entry, index) => {
    const where = `FMC_SLA_MINUTES entry ${index + 1} (${JSON.stringify(entry.trim())})`;
    const match = /^\s*([a-z]+)\s*=\s*(\d+(?:\.\d+)?)\s*$/i.exec(entry);
    if (!match) throw new FmcError('FMC_ERR_CONFIG', `${where}: expected urgency=minutes, e.g. FMC_SLA_MINUTES=high=15,medium=60,low=240`);
    const urgency = match[1]!.toLowerCase();
    if (!(URGENCIES as readonly string[]).includes(urgency)) throw new FmcError('FMC_ERR_CONFIG', `${where}: unknown urgency ${JSON.stringify(match[1])}; use ${URGENCIES.join(', ')}`);
    const minutes = Number(match[2]);
    if (!(minutes > 0)) throw new FmcError('FMC_ERR_CONFIG', `${where}: the target must be above 0 minutes`);
    targets[urgency as Urgency] = minutes;
  });
  return Object.freeze(targets);
}

/** The target of a conversation not labeled yet: the most lenient, until its labels say otherwise. */
export const targetMinutes = (targets: SlaTargets, urgency: Urgency | null): number => targets[urgency ?? 'low'];

/** When the customer waiting since `waitingSince` (ISO) must have had an answer; null when nobody waits. */
export function slaDueAt(targets: SlaTargets, waitingSince: string | null, urgency: Urgency | null): string | null {
  if (waitingSince === null) return null;
  return new Date(Date.parse(waitingSince) + targetMinutes(targets, urgency) * 60_000).toISOString();
}

/** Whether the wait has passed its target at `now` (ms since the epoch). */
export function isOverdue(targets: SlaTargets, waitingSince: string | null, urgency: Urgency | null, now: number): boolean {
  const due = slaDueAt(targets, waitingSince, urgency);
  return due !== null && now > Date.parse(due);
}
