// The French lexicon of the rules tier, curated by hand from fixtures/train.csv: words that
// separate the labels, read in context. Terms are written as French is written; compile.ts
// folds them and documents the syntax (`*` continuation, `#` number, `(a|b)`, `?`).
// All terms are matched in one pass and may overlap ("j'ai plus" and "plus d'internet" both
// count); at one word only the longest term of each layer counts, and a negation ("pas de problème")
// hides the problem words inside it. decide-from-cues.ts turns the counts into labels.
// Changing anything here changes the tier's version, hence its cache keys.

import { INCIDENT_LEXICON } from './lexicon-incident.js';
import { MOOD_LEXICON } from './lexicon-mood.js';
import { SPEAKER_LEXICON } from './lexicon-speaker.js';
import { TOPIC_LEXICON } from './lexicon-topic.js';

export { INCIDENT_LEXICON, MOOD_LEXICON, SPEAKER_LEXICON, TOPIC_LEXICON };

/**
 * The lexicon's layers, in matching order. At one word only the longest term of each layer
 * counts, so a topic word still counts under a longer incident phrase ("plus de connexion").
 */
export const LEXICON_LAYERS = [SPEAKER_LEXICON, INCIDENT_LEXICON, TOPIC_LEXICON, MOOD_LEXICON] as const;

export type Cue = keyof (typeof SPEAKER_LEXICON & typeof INCIDENT_LEXICON & typeof TOPIC_LEXICON & typeof MOOD_LEXICON);
