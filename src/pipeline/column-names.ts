// Header names made unique: a JSONL object or an XLSX header keyed by name would otherwise
// lose every column but one of a repeated name (`text,text,id`), and an empty name is no key.

export interface RenamedColumn {
  /** 1-based column number. */
  readonly column: number;
  readonly from: string;
  readonly to: string;
}

/**
 * A repeat of a name becomes `<name>_2` (`_3`, …) and an empty one `column_<n>`, skipping
 * any name the header already holds; the first of a repeated name keeps it, so
 * `--text-column text` still finds the column it found before.
 */
export function uniqueColumnNames(columns: readonly string[]): { names: string[]; renamed: RenamedColumn[] } {
  const taken = new Set(columns);
  const used = new Set<string>();
  const renamed: RenamedColumn[] = [];
  const names = columns.map((name, i) => {
    const empty = name.trim() === '';
    if (!empty && !used.has(name)) {
      used.add(name);
      return name;
    }
    const base = empty ? `column_${i + 1}` : name;
    let candidate = base;
    for (let n = 2; used.has(candidate) || (candidate !== name && taken.has(candidate)); n++) candidate = `${base}_${n}`;
    used.add(candidate);
    renamed.push({ column: i + 1, from: name, to: candidate });
    return candidate;
  });
  return { names, renamed };
}

/** One line for the user: `header: column 2 "text" renamed "text_2", column 3 "" renamed "column_3"`. */
export function describeRenames(renamed: readonly RenamedColumn[]): string {
  return renamed.map((r) => `column ${r.column} ${JSON.stringify(r.from)} renamed ${JSON.stringify(r.to)}`).join(', ');
}
