// From cue counts to the five labels, following ../../shared/taxonomy.md: first who is
// speaking (operator template, outage bot, promotion, customer), then what went wrong,
// which service, how urgent. Each rule path has a confidence measured on fixtures/train.csv.

import { applyConsistency, type Incident, type ScoredLabels, type Sentiment, type Topic, type Urgency } from '../labels.js';
import type { CleanTweet } from '../tiers/tier.js';
import { CUE, type Cues } from './match.js';

/** The labels and the name of the rule path that produced them (for tests and tuning). */
export interface Decision {
  readonly labels: ScoredLabels;
  readonly rule: string;
}

/** Occurrences of one cue. */
type Count = (cue: number) => number;

function labels(
  isClaim: boolean,
  sentiment: Sentiment,
  topic: Topic,
  incident: Incident,
  urgency: Urgency,
  confidence: number,
): ScoredLabels {
  return applyConsistency({ is_claim: isClaim, sentiment, topic, incident, urgency, confidence });
}

/** Canned replies name their subject: "concernant votre coupure" is fibre, "vos factures" billing. */
function cannedTopic(n: Count): Topic {
  if (n(CUE.cannedBilling) > 0) return 'billing';
  if (n(CUE.cannedTv) > 0) return 'tv';
  if (n(CUE.cannedFibre) > 0) return 'fibre';
  return 'customer_service';
}

/** The product a network problem is about: fibre unless mobile or TV words dominate. */
function networkTopic(n: Count): Topic {
  const fibre = n(CUE.fibre);
  const mobile = n(CUE.mobile);
  const tv = n(CUE.tv);
  if (mobile > fibre && mobile >= tv) return 'mobile';
  if (tv > fibre) return 'tv';
  return 'fibre';
}

// Topics and their cues in tie-break order (products first). Built once: namedTopic runs on
// most tweets, and a fresh array of pairs per call was a measurable share of the rules' time.
const NAMED_TOPICS: readonly (readonly [Topic, number])[] = [
  ['fibre', CUE.fibre],
  ['mobile', CUE.mobile],
  ['tv', CUE.tv],
  ['billing', CUE.billing],
  ['customer_service', CUE.customerService],
  ['other', CUE.other],
];

/** The topic with the most words, products first on ties; `fallback` when none is named. */
function namedTopic(n: Count, fallback: Topic): Topic {
  let best = fallback;
  let bestCount = 0;
  for (const [topic, cue] of NAMED_TOPICS) {
    const count = n(cue);
    if (count > bestCount) {
      best = topic;
      bestCount = count;
    }
  }
  return best;
}

/** What went wrong, by the taxonomy's precedence (a product failure beats slow support). */
function pickIncident(n: Count, complaining: boolean): { incident: Incident; strong: boolean } {
  const missing = n(CUE.serviceMissing);
  // Not connected yet, during a hookup or a move: the procedure is what failed.
  if (missing > 0 && n(CUE.outageTotal) === 0 && n(CUE.onboarding) > 0 && n(CUE.billingIssue) === 0) {
    return { incident: 'support', strong: true };
  }
  const total = n(CUE.outageTotal) + missing;
  const outage = n(CUE.outage);
  const slow = n(CUE.slowness);
  if (n(CUE.billingIssue) > 0 && total === 0) return { incident: 'billing', strong: true };
  if (total > 0) return { incident: n(CUE.device) > 0 ? 'equipment' : 'outage', strong: true };
  // Cuts every few minutes are an outage even when the tweet also says "bug" and "lag".
  if (outage > 0) return { incident: slow > outage && n(CUE.repeated) === 0 ? 'slowness' : 'outage', strong: false };
  if (slow > 0) return { incident: 'slowness', strong: false };
  if (n(CUE.equipmentIssue) > 0) return { incident: 'equipment', strong: false };
  if (n(CUE.supportFailure) > 0) return { incident: 'support', strong: false };
  // A complaint naming no failure: "problème de connexion" is an outage, one about a
  // device an equipment incident, one about a procedure (raccordement, résiliation) support.
  // A rant about the hotline alone is no incident (train: none 2 to 1).
  const products = n(CUE.fibre) + n(CUE.mobile) + n(CUE.tv);
  if (n(CUE.problem) > 0 && products > 0) return { incident: 'outage', strong: false };
  // "Pareil dans le 95": a neighbour's outage confirmed; a bare "pareil" says too little.
  if (n(CUE.meToo) > 0 && (products > 0 || n(CUE.place) > 0)) return { incident: 'outage', strong: false };
  if (complaining && n(CUE.device) > 0) return { incident: 'equipment', strong: false };
  if (complaining && n(CUE.process) > 0) return { incident: 'support', strong: false };
  return { incident: 'none', strong: false };
}

function incidentTopic(incident: Incident, n: Count): Topic {
  switch (incident) {
    case 'billing':
      return 'billing';
    case 'outage':
    case 'slowness':
      return networkTopic(n);
    case 'equipment':
      if (n(CUE.tv) > 0) return 'tv';
      return n(CUE.equipmentIssue) > 0 || n(CUE.fibre) === 0 ? 'customer_service' : 'fibre';
    default:
      // Support: the product wins when the service itself is the subject (a fibre hookup
      // stuck, no internet and no technician); a box or an order is customer service.
      if (n(CUE.fibreService) > 0) return 'fibre';
      return n(CUE.mobile) > n(CUE.customerService) ? 'mobile' : 'customer_service';
  }
}

// Confidence of each rule path: on fixtures/train.csv, the mean of its per-field accuracy
// and of its exact-match rate, rounded down (more where few rows back it). Template and
// strong-cue paths sit at 0.65-0.95; fallbacks, where the rules guessed from weak hints,
// at 0.35-0.5, so a cascade sends those rows to a model and a hybrid trusts the model more.
const CONFIDENCE = {
  canned: 0.95,
  thirdPartyOutage: 0.8,
  promotion: 0.6,
  question: 0.45,
  rant: 0.5,
  weakClaim: 0.35,
  praise: 0.35,
  neutral: 0.5,
} as const;

/** Confidence of an incident path by its evidence: a named failure or only hints of one. */
function incidentConfidence(incident: Incident, strong: boolean): number {
  switch (incident) {
    case 'outage':
      return strong ? 0.8 : 0.55;
    case 'support':
      return strong ? 0.7 : 0.55;
    case 'billing':
      return 0.65;
    case 'slowness':
      return 0.65;
    default:
      return 0.45;
  }
}

export function decide(tweet: CleanTweet, cues: Cues): Decision {
  const counts = cues.counts;
  const n: Count = (cue) => counts[cue] ?? 0;

  if (tweet.isCanned) {
    return { rule: 'canned', labels: labels(false, 'neutral', cannedTopic(n), 'none', 'low', CONFIDENCE.canned) };
  }

  const anger = n(CUE.anger);
  const firstPerson = n(CUE.firstPerson);
  const praise = n(CUE.praise);

  // Outage bots, news and the operator's incident notices: an outage, but nobody's claim.
  if (n(CUE.botReport) > 0 || (n(CUE.operatorIncident) > 0 && anger === 0 && firstPerson === 0)) {
    return {
      rule: 'third-party-outage',
      labels: labels(false, 'neutral', networkTopic(n), 'outage', 'medium', CONFIDENCE.thirdPartyOutage),
    };
  }

  // Promotions (the operator's retweets, offers, contests) complain about nothing; they are
  // positive when they sound enthusiastic.
  // The operator's own accounts (the input's author column) speak in the first person
  // ("notre réseau", "nous activons") and file no claim; the combiner weighs the rest.
  const operator = tweet.fromOperator === true;
  if ((tweet.isRetweet || operator || n(CUE.promo) > 0) && anger === 0 && (firstPerson === 0 || operator)) {
    const sentiment: Sentiment = praise > 0 || cues.exclamation ? 'positive' : 'neutral';
    return { rule: 'promotion', labels: labels(false, sentiment, namedTopic(n, 'other'), 'none', 'low', CONFIDENCE.promotion) };
  }

  const plea = n(CUE.plea);
  const problem = n(CUE.problem);
  const noProblem = n(CUE.noProblem);
  const meToo = n(CUE.meToo);
  const paying = n(CUE.paying);
  const complaining = anger > 0 || plea > 0 || problem > 0 || meToo > 0 || paying > 0;
  const found = pickIncident(n, complaining);
  // "plus de coupure", "ça remarche": a weak cue does not outweigh a negated problem.
  const incident: Incident = noProblem > 0 && !found.strong ? 'none' : found.incident;

  // A plain question or a prospect's request, with no failure in it, is not a claim.
  const asking = n(CUE.question) > 0 || n(CUE.prospect) > 0;
  const reportsFailure =
    found.strong || n(CUE.supportFailure) > 0 || n(CUE.equipmentIssue) > 0 || n(CUE.longDuration) > 0 || problem > 0 || meToo > 0;
  if (asking && anger === 0 && !reportsFailure && (incident === 'support' || incident === 'equipment' || incident === 'none')) {
    return { rule: 'question', labels: labels(false, 'neutral', namedTopic(n, 'other'), 'none', 'low', CONFIDENCE.question) };
  }

  if (incident !== 'none') {
    // Days of trouble or of waiting, or work/health at stake: high. A total loss right now is
    // high too; cuts that come and go, slowness and pending requests are medium.
    let urgency: Urgency = 'medium';
    if (n(CUE.longDuration) > 0 || n(CUE.stakes) > 0) urgency = 'high';
    else if (incident === 'outage' && n(CUE.repeated) === 0 && (found.strong || n(CUE.sinceToday) > 0)) urgency = 'high';
    return {
      rule: `incident-${incident}${found.strong ? '' : '-weak'}`,
      labels: labels(true, 'negative', incidentTopic(incident, n), incident, urgency, incidentConfidence(incident, found.strong)),
    };
  }

  // No concrete failure: a rant is still a claim ("free c'est nul", "arnaque").
  if (anger > 0 || meToo > 0 || paying > 0 || plea > 0 || (problem > 0 && noProblem === 0)) {
    return { rule: 'rant', labels: labels(true, 'negative', namedTopic(n, 'other'), 'none', 'low', CONFIDENCE.rant) };
  }
  // Nothing matched outright. A customer speaking of their own situation, of support or of
  // a procedure, at length or with exclamation marks, is usually complaining (train: 3 in 4).
  if (praise === 0 && noProblem === 0 && (firstPerson > 0 || n(CUE.process) > 0 || n(CUE.customerService) > 0 || cues.exclamation || tweet.folded.length >= 110)) {
    const procedural = n(CUE.process) > 0;
    return {
      rule: 'weak-claim',
      labels: labels(true, 'negative', namedTopic(n, 'other'), procedural ? 'support' : 'none', procedural ? 'medium' : 'low', CONFIDENCE.weakClaim),
    };
  }
  if (praise > 0) {
    return { rule: 'praise', labels: labels(false, 'positive', namedTopic(n, 'other'), 'none', 'low', CONFIDENCE.praise) };
  }
  return { rule: 'neutral', labels: labels(false, 'neutral', namedTopic(n, 'other'), 'none', 'low', CONFIDENCE.neutral) };
}
