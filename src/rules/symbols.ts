// The alphabet the rules automaton reads. Folded text becomes a stream of symbols: letters,
// one BOUNDARY for any run of spaces and punctuation (so "plus d'internet" reads
// _plus_d_internet_), a symbol per digit run, and the few signs the lexicon uses.

export const BOUNDARY = 0;
/** Letters a..z are 1..26. */
export const FIRST_LETTER = 1;
export const EURO = 27;
export const PLUS = 28;
export const SLASH = 29;
export const PERCENT = 30;
/**
 * Numbers are read by class, not value: the lexicon only cares whether a number counts
 * hours that make days ("depuis 48h"), is a support line ("le 3244") or is anything else.
 * `#` in a term means any number; a literal number in a term must belong to a named class.
 */
export const OTHER_NUMBER = 31;
export const DAY_HOURS = 32;
export const HELPLINE = 33;
export const ALPHABET_SIZE = 34;

/** Digit runs longer than this are identifiers (phone numbers, ids), never a named number. */
export const MAX_NUMBER_DIGITS = 6;

/** The symbol of a digit run. */
export function numberSymbol(value: number, digits: number): number {
  if (digits > MAX_NUMBER_DIGITS) return OTHER_NUMBER;
  if (value === 24 || value === 36 || value === 48 || value === 72 || value === 96) return DAY_HOURS;
  if (value === 3244 || value === 1044 || value === 3900) return HELPLINE;
  return OTHER_NUMBER;
}

/** Sign characters that are words of their own. */
export function signSymbol(ch: string): number | undefined {
  switch (ch) {
    case '€':
      return EURO;
    case '+':
      return PLUS;
    case '/':
      return SLASH;
    case '%':
      return PERCENT;
    default:
      return undefined;
  }
}
