// Pure decisions about an input's first bytes: binary or text, which encoding, which
// delimiter, which column holds the text. Kept apart from I/O so each is tested directly.

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;

export function hasUtf8Bom(head: Uint8Array): boolean {
  return head.length >= 3 && head[0] === UTF8_BOM[0] && head[1] === UTF8_BOM[1] && head[2] === UTF8_BOM[2];
}

/**
 * 'utf-8' if the block decodes as UTF-8 (a multi-byte sequence cut at the block's end is
 * fine), else 'windows-1252': what French Excel writes when asked for "CSV".
 */
export function sniffEncoding(head: Uint8Array): 'utf-8' | 'windows-1252' {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return 'utf-8';
  } catch {
    return 'windows-1252';
  }
}

const DELIMITERS = [',', ';', '\t'] as const;

/** The delimiter seen most often outside quotes on the header line (ties: comma). */
export function sniffDelimiter(text: string): ',' | ';' | '\t' {
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) break;
    else if (!quoted && counts.has(c)) counts.set(c, counts.get(c)! + 1);
  }
  let best: ',' | ';' | '\t' = ',';
  for (const d of DELIMITERS) if (counts.get(d)! > counts.get(best)!) best = d;
  return best;
}

export const TEXT_COLUMN_CANDIDATES = ['text', 'tweet', 'full_text', 'content', 'message', 'texte'] as const;

/** Index of the text column: the one asked for, else the first known name (case-insensitive). */
export function findColumn(columns: readonly string[], wanted: string | undefined, candidates: readonly string[]): number {
  const lower = columns.map((c) => c.trim().toLowerCase());
  if (wanted !== undefined) return lower.indexOf(wanted.trim().toLowerCase());
  for (const name of candidates) {
    const i = lower.indexOf(name);
    if (i >= 0) return i;
  }
  return -1;
}
