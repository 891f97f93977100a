// The operator's support accounts answer with a handful of templates (fixtures/tweets.csv,
// authors Freebox/free): "the X inbox is closed, write to us on Messenger", the data-leak
// reply, sign-offs. Matched on the folded text, so accents and apostrophes do not matter.

const CANNED_MARKERS = [
  "messagerie (?:privee |via )?x (?:n'est plus disponible|est indisponible)",
  "(?:retrouvez|contacter|retrouver)[- ]?(?:moi|nous) (?:des a present |des maintenant )?(?:sur|via) messenger",
  '(?:nous|me) contacter (?:en priorite |des a present )?(?:sur|via) messenger',
  "sommes egalement disponibles via d'autres canaux",
  '(?:vous avez |avez )?egalement a (?:votre )?disposition (?:le 3244|: le 3244)',
  "l'envoi de dm est malheureusement impossible",
  "nous gerons ici les demandes d'assistance",
  'je comprends votre interrogation, sachez que',
  'si votre compte est concerne, vous avez recu',
  "je suis ravie? que tout soit rentre dans l'ordre",
  'je suis disponible (?:en dm|sur messenger)',
  'retrouvez toutes les adresses de nos boutiques',
];

const CANNED = new RegExp(CANNED_MARKERS.join('|'));

/** Whether a folded tweet is one of the operator's canned support replies. */
export function isCannedReply(folded: string): boolean {
  return CANNED.test(folded);
}
