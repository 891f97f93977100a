import { createHash } from 'node:crypto';
import { TAXONOMY_VERSION, TRAINED_FIELDS, type TrainedLabels } from '../labels.js';
import type { ExamplePool } from './few-shot.js';
import { ANSWER_JSON_SCHEMA } from './llm-answers.js';
import type { TierItem } from './tier.js';

// The one prompt both LLM tiers send: the taxonomy (../shared/taxonomy.md, condensed), a few
// labeled examples, and the batch as JSON. The examples are chosen per batch from an example
// pool (few-shot.ts: the labeled tweets nearest to the batch's); without a pool, the nine
// fixed ones below. The prompt's hash, with the pool's digest, is part of each LLM tier's
// version, so editing a word here or changing the pool invalidates the cached LLM answers.

const TAXONOMY = `Tu classes des tweets français de clients d'un opérateur télécom (Free : Freebox, Free Mobile, Freebox TV).
Le texte est en minuscules et les retours à la ligne sont devenus un "n" collé ("bonjournje" = "bonjour\\nje").
Pour chaque tweet, donne exactement ces champs :
- is_claim (true/false): l'auteur signale un problème avec un service qu'il utilise, s'en plaint, ou demande réparation, remboursement ou geste. Promotions, actualités, questions neutres, compliments, blagues: false.
- sentiment (negative/neutral/positive): plainte, colère, sarcasme, frustration = negative; question ou information sans émotion = neutral; remerciement, enthousiasme = positive.
- topic (fibre/mobile/tv/billing/customer_service/other): fibre = internet fixe (fibre, ADSL, box, wifi, débit, ligne); mobile = réseau mobile, SIM, appels, SMS, 4G/5G, forfait mobile; tv = chaînes, Freebox TV, replay, applis sur la box; billing = factures, prélèvements, prix, remboursements; customer_service = joindre le support, rendez-vous technicien, commandes, livraisons et retours d'équipement quand aucun produit n'est le vrai sujet; other = le reste. Produit en panne ET support lent: le produit l'emporte.
- incident (outage/slowness/billing/support/equipment/none): outage = service coupé ou indisponible, y compris coupures répétées; slowness = lent, instable, lag sans coupure; billing = prélèvement erroné, remboursement non reçu; support = support injoignable, technicien absent, démarche bloquée sans panne nommée; equipment = appareil cassé ou manquant, problème de livraison ou de retour; none = pas d'incident.
- urgency (low/medium/high): high = perte totale du service, problème ou attente de plusieurs jours, travail/santé/personne vulnérable touchés, urgence explicite; medium = vrai problème qui dégrade le service, ou demande en attente; low = pas de problème, information, compliment, promotion.
- confidence (0..1): ta certitude sur l'ensemble des cinq champs.
Règles: l'auteur qui signale son propre problème = negative, même poli. Une simple question (panne dans mon secteur ?) sans dire qu'il est touché = neutral et is_claim=false. Signalement de panne par un tiers, un bot ou la presse: is_claim=false, incident=outage, urgency=medium. Coup de gueule sans panne concrète ("free c'est nul"): is_claim=true, incident=none, urgency=low. Réponses automatiques de l'opérateur: false/neutral/customer_service/none/low, sauf topic = le sujet nommé. incident=none implique urgency=low.`;

/** [text, ...the trained fields in table order], from fixtures/train.csv. */
const EXAMPLES: readonly (readonly [string, ...(string | boolean)[]])[] = [
  ['la meme 3 jours avant plus de co avec free pendant 3 jours', true, 'negative', 'fibre', 'outage', 'high'],
  ["rapide la free box? ça rame de plus en plus avec la fibre, c'est décevant !", true, 'negative', 'fibre', 'slowness', 'medium'],
  ['qui juste pour changer de forfait veulent me faire payer 49€ on sait pas pourquoi', true, 'negative', 'billing', 'billing', 'medium'],
  ["arrêter de m’harceler je vais insulter vos operateurs wsh 6 appels", true, 'negative', 'customer_service', 'support', 'medium'],
  ["bonjour, j'ai reçu un email que vous m'informiez que je n'ai retourné pas la free box. mais j'avais les envoyés dedans le délai correct.", true, 'negative', 'customer_service', 'equipment', 'medium'],
  ['ce soir panne panne réseau mobile et box dans les yvelines', false, 'neutral', 'mobile', 'outage', 'medium'],
  ['eh oh y’a pas un problème de réseaux nan ?', false, 'neutral', 'mobile', 'none', 'low'],
  ['pire opérateur c’est une honte leurs service client', true, 'negative', 'customer_service', 'none', 'low'],
  ['elle est là freeboxultraeditionlimitee25ans merci', false, 'positive', 'fibre', 'none', 'low'],
];

const exampleLine = (text: string, l: TrainedLabels): string =>
  `${JSON.stringify(text)} -> ${JSON.stringify(Object.fromEntries(TRAINED_FIELDS.map((f) => [f, l[f]])))}`;

const systemWith = (examples: string): string => `${TAXONOMY}

Exemples:
${examples}

Tu reçois un tableau JSON de tweets {"id","text"}. Réponds uniquement en JSON {"answers":[...]}: un objet par tweet, avec son "id" recopié tel quel, les cinq champs et confidence.`;

/** The system prompt with the nine fixed examples (no example pool). */
export const SYSTEM_PROMPT = systemWith(
  EXAMPLES.map(([text, ...values]) => exampleLine(text, Object.fromEntries(TRAINED_FIELDS.map((f, i) => [f, values[i]])) as TrainedLabels)).join('\n'),
);

/** Examples per batch when they come from a pool: a few more than the fixed nine, still ~500 tokens. */
export const EXAMPLES_PER_BATCH = 12;

/** The user turn: the batch as JSON, so ids survive any text the tweets contain. */
export function renderBatch(batch: readonly TierItem[]): string {
  return JSON.stringify(batch.map((item) => ({ id: item.id, text: item.tweet.text })));
}

/** Short hash of everything that shapes an answer: prompt, schema and taxonomy version. */
export const PROMPT_HASH = createHash('sha256')
  .update(SYSTEM_PROMPT)
  .update(JSON.stringify(ANSWER_JSON_SCHEMA))
  .update(TAXONOMY_VERSION)
  .digest('hex')
  .slice(0, 12);

export interface LlmPrompt {
  /** Part of the tier version (cache key): prompt, schema, taxonomy, and the example pool's digest. */
  readonly hash: string;
  /** The system prompt for this batch: the taxonomy and the examples nearest to its tweets. */
  system(batch: readonly TierItem[]): Promise<string>;
  /**
   * Loads the example pool. A live tier calls it from check(), before its first request:
   * loading inside the first request would hold back every request paced behind it.
   */
  ready(): Promise<void>;
}

/** The prompt of an LLM tier: examples picked per batch from `pool`, or the fixed nine without one. */
export function createLlmPrompt(pool: ExamplePool | undefined): LlmPrompt {
  if (!pool) return { hash: PROMPT_HASH, system: async () => SYSTEM_PROMPT, ready: async () => undefined };
  const hash = createHash('sha256')
    .update(systemWith(''))
    .update(JSON.stringify(ANSWER_JSON_SCHEMA))
    .update(TAXONOMY_VERSION)
    .update(`${pool.digest}/${EXAMPLES_PER_BATCH}`)
    .digest('hex')
    .slice(0, 12);
  return {
    hash,
    ready: () => pool.ready(),
    async system(batch) {
      const examples = await pool.pick(batch, EXAMPLES_PER_BATCH);
      // An empty pool (no labeled rows) falls back to the fixed examples rather than none.
      return examples.length === 0 ? SYSTEM_PROMPT : systemWith(examples.map((e) => exampleLine(e.text, e.labels)).join('\n'));
    },
  };
}
