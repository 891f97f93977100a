// The operator's support accounts answer with a handful of templates (fixtures/tweets.csv,
// authors Freebox/free): "the X inbox is closed, write to us on Messenger", the data-leak
// reply, sign-offs. Matched on the folded text, so accents and apostrophes do not matter.

const CANNED = new RegExp(
  [
    "messagerie (?:privee |via )?x (?:n'est plus disponible|est indisponible)",
    '(?:retrouvez|contacter|retrouver)[- ]?(?:moi|nous) (?:des a present |des maintenant )?(?:sur|via) messenger',
    '(?:nous|me) contacter (?:en priorite |des a present )?(?:sur|via) messenger',
    "sommes egalement disponibles via d'autres canaux",
    'egalement a (?:votre )?disposition :? ?le 3244',
    "l'envoi de dm est malheureusement impossible",
    "nous gerons ici les demandes d'assistance",
    'je comprends votre interrogation, sachez que',
    'si votre compte est concerne, vous avez recu',
    "je suis ravie? que tout soit rentre dans l'ordre",
    'je suis disponible (?:en dm|sur messenger)',
    'retrouvez toutes les adresses de nos boutiques',
    'je vous invite a (?:me|nous) (?:contacter|retrouver) (?:en prive|sur messenger|des a present)',
  ].join('|'),
);

// Every template above contains one of these words, and either "mess" (messenger,
// messagerie) or "free" (the signature). Two substring searches, then this literal
// alternation, keep the ~97% of rows that are not canned away from the full pattern.
const KEYWORDS = /mess(?:enger|agerie)|interrogation|disposition|l'ordre|envoi de dm|demandes d'assistance|nos boutiques|je vous invite/;

/** Whether a folded tweet is one of the operator's canned support replies. */
export function isCannedReply(folded: string): boolean {
  return (folded.includes('mess') || folded.includes('free')) && KEYWORDS.test(folded) && CANNED.test(folded);
}
