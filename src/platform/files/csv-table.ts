import { parse } from 'csv-parse/sync';
import { unstorableTextPaths } from '../http/validation.ts';

/** One data row of an uploaded CSV table: its line in the file and its cells by column. */
export interface CsvRow {
  line: number;
  /** How many cells the row has (a row of another width is the caller's line error). */
  width: number;
  /** Every column of the header, '' where the row has no cell. */
  values: Record<string, string>;
}

/**
 * Reads an uploaded CSV table whole, or refuses the file with `invalid(detail)`: not UTF-8,
 * not text, not CSV, a header naming an unknown or duplicate column or missing a required
 * one, no rows, more than `maxRows`. A BOM is dropped; the header decides the delimiter
 * (Croatian spreadsheets save with semicolons); header names are case-insensitive. Line
 * numbers are the file's, so a row error can name the line a person sees in the editor.
 */
export function readCsvTable(
  bytes: Buffer,
  spec: {
    columns: readonly string[];
    required: readonly string[];
    maxRows?: number;
    invalid: (detail: string) => Error;
  },
): { columns: string[]; rows: CsvRow[] } {
  const { invalid } = spec;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalid('The file is not UTF-8 text');
  }
  text = text.replace(/^\uFEFF/, '');
  if (text.includes('\u0000') || unstorableTextPaths(text, ['body']).length > 0) {
    throw invalid('The file is not a text CSV file');
  }
  const firstLine = text.slice(0, text.indexOf('\n') >>> 0);
  const delimiter = firstLine.includes(';') && !firstLine.includes(',') ? ';' : ',';
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      delimiter,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (err) {
    throw invalid(`The file is not valid CSV: ${(err as Error).message.split(':')[0]}`);
  }
  const [header, ...rows] = records;
  if (!header) throw invalid('The file is empty');
  const columns = header.record.map((c) => c.trim().toLowerCase());
  const unknown = columns.filter((c) => !spec.columns.includes(c));
  const missing = spec.required.filter((c) => !columns.includes(c));
  const repeated = new Set(columns).size !== columns.length;
  if (unknown.length || missing.length || repeated) {
    const problems = [
      missing.length ? `missing ${missing.join(', ')}` : '',
      unknown.length ? `unknown ${unknown.join(', ')}` : '',
      repeated ? 'a column twice' : '',
    ].filter(Boolean);
    throw invalid(
      `Wrong header: ${problems.join('; ')}. Expected columns: ${spec.columns.join(', ')}`,
    );
  }
  if (rows.length === 0) throw invalid('The file has a header but no rows');
  if (spec.maxRows !== undefined && rows.length > spec.maxRows) {
    throw invalid(`The file has ${rows.length} rows; at most ${spec.maxRows}`);
  }
  return {
    columns,
    rows: rows.map(({ record, info }) => ({
      line: info.lines,
      width: record.length,
      values: Object.fromEntries(columns.map((c, i) => [c, record[i] ?? ''])),
    })),
  };
}
