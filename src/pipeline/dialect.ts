// How CSV output is written, decided once before the first row: by default it mirrors the
// input's dialect, so a French Excel file (`;`, Windows-1252, CRLF) comes back as one Excel
// opens in columns, with its accents intact (a BOM marks the UTF-8 it is now).

/** What the reader saw of a CSV input. */
export interface InputDialect {
  readonly delimiter: string;
  /** The input started with a UTF-8 BOM. */
  readonly bom: boolean;
  /** Its first record ended in CRLF. */
  readonly crlf: boolean;
  readonly encoding: string;
}

export interface CsvDialect {
  /** One character: `,` `;` tab or `|`. */
  readonly delimiter: string;
  readonly eol: '\n' | '\r\n';
  /** A UTF-8 BOM before the header. */
  readonly bom: boolean;
  /**
   * Prefix `'` to cells starting with = + - @ tab or CR (and their full-width forms), as
   * OWASP recommends: a spreadsheet would run them as formulas (CSV injection).
   */
  readonly escapeFormulas: boolean;
}

/** What the user asked for; undefined = mirror the input. */
export interface DialectOverrides {
  readonly delimiter?: string | undefined;
  readonly bom?: boolean | undefined;
  readonly crlf?: boolean | undefined;
  readonly escapeFormulas?: boolean | undefined;
}

export const DEFAULT_DIALECT: CsvDialect = { delimiter: ',', eol: '\n', bom: false, escapeFormulas: true };

/** The input's dialect (none for JSONL and XLSX: the defaults), then the user's overrides. */
export function outputDialect(input: InputDialect | undefined, overrides: DialectOverrides = {}): CsvDialect {
  const mirrored = input
    ? { delimiter: input.delimiter, bom: input.bom || input.encoding === 'windows-1252', crlf: input.crlf }
    : { delimiter: DEFAULT_DIALECT.delimiter, bom: DEFAULT_DIALECT.bom, crlf: false };
  return {
    delimiter: overrides.delimiter ?? mirrored.delimiter,
    bom: overrides.bom ?? mirrored.bom,
    eol: (overrides.crlf ?? mirrored.crlf) ? '\r\n' : '\n',
    escapeFormulas: overrides.escapeFormulas ?? DEFAULT_DIALECT.escapeFormulas,
  };
}

export const DELIMITER_CHOICES = [',', ';', 'tab', '|'] as const;

/** `--delimiter` and `?delimiter=`: `tab` (or a literal tab) names the tab. */
export function parseDelimiter(raw: string): string | undefined {
  const d = raw === 'tab' || raw === '\\t' ? '\t' : raw;
  return d === ',' || d === ';' || d === '\t' || d === '|' ? d : undefined;
}
