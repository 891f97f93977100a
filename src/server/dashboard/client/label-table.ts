// The label fields, as the server's labels.ts defines them: fetched once, never copied here.

export interface LabelTable {
  readonly fields: readonly { readonly name: string; readonly values: readonly string[] }[];
  readonly columns: readonly string[];
}

export async function fetchLabelTable(): Promise<LabelTable> {
  const res = await fetch('/dashboard/labels.json');
  if (!res.ok) throw new Error(`label table: ${res.status} ${res.statusText}`);
  return (await res.json()) as LabelTable;
}
