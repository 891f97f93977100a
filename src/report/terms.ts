import { foldText } from '../clean/fold.js';

// Top terms of claim texts: folded (lower case, no accents, so "réseau" and "reseau" meet),
// French stop words and the brand's own names left out, counted in bounded memory.

const STOP_WORDS = new Set(
  `a ai aie aient aies ait alors as au aucun aucune aujourd aupres aussi autre autres aux avais avait avant avec avez aviez avoir avons ayant bah bcp beaucoup bien bon bonjour bonsoir ca car ce ceci cela celle celles celui cependant ces cet cette ceux chez ci comme comment d dans de depuis des deja dire dit dois doit donc dont du deux elle elles en encore entre es est et etaient etais etait ete etes etre eu eux fait faire fais faut fois font hier ici il ils j jamais je jusqu l la le les leur leurs lui m ma mais me meme mes moi mon n ne ni non nos notre nous on ont ou oui ou par parce pas peu peut peux plus pour pourquoi puis qu quand que quel quelle quelles quels qui quoi rien rt s sa sans se ses si sil sont sous suis sur t ta tant te tes toi ton tous tout toute toutes tres trop tu un une vers via voila vos votre vous vraiment y c est svp merci stp jour jours mois heure heures ans http https www com fr co amp the and to of is in it for on you my with this that be are was at not have free freebox free_mobile freemobile iliad`.split(
    /\s+/,
  ),
);

const TOKEN = /[a-z0-9]+(?:'[a-z0-9]+)?/g;
const ELIDED = /^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)'/;

/** The terms of one text worth counting, each once per text. */
export function termsOf(text: string): string[] {
  const folded = foldText(text.replace(/https?:\/\/\S+|[@#]\w+/g, ' '));
  const terms = new Set<string>();
  for (const match of folded.matchAll(TOKEN)) {
    const word = match[0].replace(ELIDED, '');
    if (word.length < 3 || word.length > 30 || /^\d+$/.test(word) || STOP_WORDS.has(word)) continue;
    terms.add(word);
  }
  return [...terms];
}

/**
 * Misra-Gries heavy hitters: at most 2k terms kept. When the table fills, every count drops
 * by the (k+1)-th largest and the terms left at zero go, so memory stays bounded whatever
 * the number of distinct words, and any term seen more than n/k times is still there; its
 * count is a lower bound, off by at most n/k (n = terms counted).
 */
export class TopTerms {
  private readonly counts = new Map<string, number>();
  private total = 0;
  constructor(private readonly k = 200) {}
  add(term: string): void {
    this.total++;
    this.counts.set(term, (this.counts.get(term) ?? 0) + 1);
    if (this.counts.size >= 2 * this.k) this.prune();
  }
  private prune(): void {
    const sorted = [...this.counts.values()].sort((a, b) => b - a);
    const cut = sorted[this.k] ?? 0;
    for (const [term, n] of this.counts) {
      if (n - cut <= 0) this.counts.delete(term);
      else this.counts.set(term, n - cut);
    }
  }
  /** The `n` most frequent terms, most frequent first (ties: alphabetical). */
  top(n: number): { term: string; count: number }[] {
    return [...this.counts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, n)
      .map(([term, count]) => ({ term, count }));
  }
}
