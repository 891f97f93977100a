// The dashboard's one message catalogue, French and English. Pure (no DOM): the server
// renders the page's static text in the negotiated language with it, and the browser
// translates everything it draws with it. Add a key to `en` first: `fr` must then have it
// too (the compiler says so), and a test checks both languages use the same {placeholders}.
//
// A value is a template (`{name}` is replaced) or, for counts, one template per plural
// category of Intl.PluralRules (`one`, `other`), picked with the `count` parameter.

export const LOCALES = ['fr', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

type Entry = string | { readonly one: string; readonly other: string };

const en = {
  'app.title': 'fmc console',
  'app.language': 'Language',
  'app.logout': 'Log out',
  'app.online': 'live',
  'app.offline': 'offline',
  'app.conversations-toggle': 'Conversations',
  'app.close-drawer': 'Close the list',
  'login.title': 'Log in',
  'login.username': 'User name',
  'login.password': 'Password',
  'login.submit': 'Log in',
  'role.admin': 'admin',
  'role.agent': 'agent',
  'role.customer': 'customer',
  'list.title': 'Conversations',
  'list.new': 'New conversation',
  'list.empty': 'No conversation matches.',
  'list.customer-item': 'Conversation of {date}',
  'list.messages': { one: '{count} message', other: '{count} messages' },
  'list.unread': { one: '{count} unread', other: '{count} unread' },
  'list.unassigned': 'unassigned',
  'list.owner': 'owner: {name}',
  'list.waiting': 'waiting {duration}',
  'list.overdue': 'overdue',
  'status.open': 'open',
  'status.pending': 'pending',
  'status.closed': 'resolved',
  'urgency.high': 'high',
  'urgency.medium': 'medium',
  'urgency.low': 'low',
  'urgency.none': 'unlabeled',
  'label.claim': 'claim',
  'label.no-claim': 'no claim',
  'label.correct-hint': 'click to correct',
  'label.correct-field': 'correct {field}',
  'chat.pick': 'Pick a conversation',
  'chat.with': 'Conversation with {name}',
  'chat.support': 'Support',
  'chat.input': 'Your message',
  'chat.placeholder': 'Write a message (Enter sends, Shift+Enter for a new line)',
  'chat.send': 'Send',
  'chat.closed': 'This conversation is resolved.',
  'chat.messages': 'Messages',
  'chat.state.sent': 'sent',
  'chat.state.stored': 'stored',
  'chat.agent': 'Support agent',
  'chat.you': 'You',
  'actions.assign-me': 'Assign to me',
  'actions.assign-to': 'Assign to',
  'actions.unassign': 'Nobody',
  'actions.assign': 'Assign',
  'actions.pending': 'Mark pending',
  'actions.close': 'Resolve',
  'actions.reopen': 'Reopen',
  'actions.status': 'Status: {status}',
  'filters.title': 'Search and filters',
  'filters.search': 'Search messages',
  'filters.search-placeholder': 'Text in the messages',
  'filters.status': 'Status',
  'filters.owner': 'Owner',
  'filters.owner.me': 'Me',
  'filters.owner.none': 'Unassigned',
  'filters.urgency': 'Urgency',
  'filters.topic': 'Topic',
  'filters.claim': 'Claim',
  'filters.claim.yes': 'Claims',
  'filters.claim.no': 'Not claims',
  'filters.from': 'From',
  'filters.to': 'To',
  'filters.any': 'Any',
  'filters.apply': 'Search',
  'filters.reset': 'Reset',
  'filters.results': { one: '{count} conversation', other: '{count} conversations' },
  'notify.enable': 'Enable notifications',
  'notify.enabled': 'Notifications on',
  'notify.denied': 'Notifications blocked by the browser: a sound plays instead',
  'notify.high': 'High-urgency conversation from {name}',
  'notify.assigned': '{name}’s conversation was assigned to you',
  'classify.title': 'Classify a file',
  'classify.file': 'CSV file',
  'classify.submit': 'Classify',
  'classify.download': 'Download labeled CSV',
  'classify.running': 'Classifying…',
  'classify.done': { one: '{count} row labeled', other: '{count} rows labeled' },
  'classify.first-shown': '(first {shown} shown)',
  'classify.failed': 'Failed: {message}',
  'trends.title': 'Trends',
  'trends.volume': 'volume',
  'trends.claim-rate': 'claim rate',
  'trends.satisfaction': 'satisfaction',
  'trends.high-urgency': 'high urgency',
  'trends.mean-confidence': 'mean confidence',
  'trends.spike': '{value} spike',
  'trends.spike-detail': '{count} claims, {start} → {end} (expected {expected}, score {score})',
  'session.ended': 'Session ended',
  'session.keep': 'Your draft is kept. Enter your password to continue where you were.',
  'session.password': 'Password',
  'session.again': 'Log in again',
  'session.other': 'Another account',
  'session.reason.expired': 'Your session expired after a long time without use.',
  'session.reason.revoked': 'Your session was ended: you logged out elsewhere, your password was changed, or your account was disabled.',
  'session.reason.reused': 'Your session was ended for safety: its renewal key was used twice (a lost answer, or a copy of the key).',
  'session.reason.other': 'Your session has ended.',
  'replies.label': 'Canned replies',
  'attach.button': 'Attach an image or a PDF',
  'attach.uploading': 'Sending {name}…',
  'attach.download': 'Download {name}',
  'admin.link': 'Admin',
} satisfies Record<string, Entry>;

export type MessageKey = keyof typeof en;

const fr: Record<MessageKey, Entry> = {
  'app.title': 'Console fmc',
  'app.language': 'Langue',
  'app.logout': 'Se déconnecter',
  'app.online': 'en ligne',
  'app.offline': 'hors ligne',
  'app.conversations-toggle': 'Conversations',
  'app.close-drawer': 'Fermer la liste',
  'login.title': 'Connexion',
  'login.username': 'Identifiant',
  'login.password': 'Mot de passe',
  'login.submit': 'Se connecter',
  'role.admin': 'administrateur',
  'role.agent': 'conseiller',
  'role.customer': 'client',
  'list.title': 'Conversations',
  'list.new': 'Nouvelle conversation',
  'list.empty': 'Aucune conversation ne correspond.',
  'list.customer-item': 'Conversation du {date}',
  'list.messages': { one: '{count} message', other: '{count} messages' },
  'list.unread': { one: '{count} non lu', other: '{count} non lus' },
  'list.unassigned': 'non attribuée',
  'list.owner': 'suivie par {name}',
  'list.waiting': 'en attente depuis {duration}',
  'list.overdue': 'délai dépassé',
  'status.open': 'ouverte',
  'status.pending': 'en attente',
  'status.closed': 'résolue',
  'urgency.high': 'haute',
  'urgency.medium': 'moyenne',
  'urgency.low': 'basse',
  'urgency.none': 'non classée',
  'label.claim': 'réclamation',
  'label.no-claim': 'pas une réclamation',
  'label.correct-hint': 'cliquer pour corriger',
  'label.correct-field': 'corriger {field}',
  'chat.pick': 'Choisissez une conversation',
  'chat.with': 'Conversation avec {name}',
  'chat.support': 'Assistance',
  'chat.input': 'Votre message',
  'chat.placeholder': 'Écrivez un message (Entrée envoie, Maj+Entrée pour aller à la ligne)',
  'chat.send': 'Envoyer',
  'chat.closed': 'Cette conversation est résolue.',
  'chat.messages': 'Messages',
  'chat.state.sent': 'envoyé',
  'chat.state.stored': 'enregistré',
  'chat.agent': 'Conseiller',
  'chat.you': 'Vous',
  'actions.assign-me': 'M’attribuer',
  'actions.assign-to': 'Attribuer à',
  'actions.unassign': 'Personne',
  'actions.assign': 'Attribuer',
  'actions.pending': 'Mettre en attente',
  'actions.close': 'Résoudre',
  'actions.reopen': 'Rouvrir',
  'actions.status': 'Statut : {status}',
  'filters.title': 'Recherche et filtres',
  'filters.search': 'Rechercher dans les messages',
  'filters.search-placeholder': 'Texte des messages',
  'filters.status': 'Statut',
  'filters.owner': 'Responsable',
  'filters.owner.me': 'Moi',
  'filters.owner.none': 'Non attribuées',
  'filters.urgency': 'Urgence',
  'filters.topic': 'Sujet',
  'filters.claim': 'Réclamation',
  'filters.claim.yes': 'Réclamations',
  'filters.claim.no': 'Hors réclamations',
  'filters.from': 'Du',
  'filters.to': 'Au',
  'filters.any': 'Tous',
  'filters.apply': 'Rechercher',
  'filters.reset': 'Effacer',
  'filters.results': { one: '{count} conversation', other: '{count} conversations' },
  'notify.enable': 'Activer les notifications',
  'notify.enabled': 'Notifications activées',
  'notify.denied': 'Notifications bloquées par le navigateur : un son est joué à la place',
  'notify.high': 'Conversation urgente de {name}',
  'notify.assigned': 'La conversation de {name} vous a été attribuée',
  'classify.title': 'Classer un fichier',
  'classify.file': 'Fichier CSV',
  'classify.submit': 'Classer',
  'classify.download': 'Télécharger le CSV annoté',
  'classify.running': 'Classement en cours…',
  'classify.done': { one: '{count} ligne annotée', other: '{count} lignes annotées' },
  'classify.first-shown': '({shown} premières affichées)',
  'classify.failed': 'Échec : {message}',
  'trends.title': 'Tendances',
  'trends.volume': 'volume',
  'trends.claim-rate': 'taux de réclamation',
  'trends.satisfaction': 'satisfaction',
  'trends.high-urgency': 'urgence haute',
  'trends.mean-confidence': 'confiance moyenne',
  'trends.spike': 'pic {value}',
  'trends.spike-detail': '{count} réclamations, {start} → {end} (attendu {expected}, score {score})',
  'session.ended': 'Session terminée',
  'session.keep': 'Votre brouillon est conservé. Saisissez votre mot de passe pour reprendre là où vous en étiez.',
  'session.password': 'Mot de passe',
  'session.again': 'Se reconnecter',
  'session.other': 'Un autre compte',
  'session.reason.expired': 'Votre session a expiré après une longue période sans activité.',
  'session.reason.revoked': 'Votre session a été fermée : déconnexion ailleurs, mot de passe changé ou compte désactivé.',
  'session.reason.reused': 'Votre session a été fermée par sécurité : sa clé de renouvellement a servi deux fois (une réponse perdue, ou une copie de la clé).',
  'session.reason.other': 'Votre session est terminée.',
  'replies.label': 'Réponses types',
  'attach.button': 'Joindre une image ou un PDF',
  'attach.uploading': 'Envoi de {name}…',
  'attach.download': 'Télécharger {name}',
  'admin.link': 'Administration',
};

export const CATALOGUE: Readonly<Record<Locale, Readonly<Record<MessageKey, Entry>>>> = { en, fr };

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

export type Params = Readonly<Record<string, string | number>>;

/** The message in this language, `{name}`s filled (numbers localised); with a `count`, the plural form Intl picks. */
export function translate(locale: Locale, key: MessageKey, params: Params = {}): string {
  const entry = CATALOGUE[locale][key];
  const template = typeof entry === 'string' ? entry : entry[new Intl.PluralRules(locale).select(Number(params.count ?? 0)) === 'one' ? 'one' : 'other'];
  // Numbers are written the language's way (1 234 in French, 1,234 in English).
  const shown = (value: string | number): string => (typeof value === 'number' ? new Intl.NumberFormat(locale).format(value) : value);
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? shown(params[name]!) : whole));
}

/**
 * The page's language from an Accept-Language header: the first supported language by q
 * value (`fr-FR;q=0.9` counts as `fr`), English when none is.
 */
export function negotiateLocale(header: string | undefined): Locale {
  if (!header) return DEFAULT_LOCALE;
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...rest] = part.trim().split(';');
      const q = rest.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { language: tag.trim().toLowerCase().split('-')[0], q: q === undefined ? 1 : Number(q), index };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked.map((r) => r.language).find(isLocale) ?? DEFAULT_LOCALE;
}
