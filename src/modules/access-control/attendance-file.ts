import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { AppError, type FieldError } from '../../platform/errors.ts';
import { unstorableTextPaths } from '../../platform/http/validation.ts';
import {
  BARCODE_HEADERS,
  normalizeHeader,
  parseScanTime,
  rawCellText,
  SCAN_TIME_HEADERS,
  scannedBarcode,
} from './access-control.rules.ts';

/**
 * Reads the gates' scanned list (E2-F9, E13-F2): an .xlsx (first worksheet) or a CSV
 * (comma, semicolon or tab separated, UTF-8 with or without BOM) whose header row names a
 * barcode column and a scan time column; other columns are ignored. A file that is not a
 * spreadsheet, has no such header, no data rows, too many rows or an unreadable scan time
 * is refused with 422 ATTENDANCE_FILE_INVALID naming the row or the cause, before anything
 * is written. A barcode that is not one of ours is not a file error: the row is kept and
 * stored as unmatched with reason INVALID_FORMAT.
 */

export interface ScanRow {
  /** The row of the file (1 = the header row). */
  row: number;
  /** The barcode when it has our format (18 digits, Luhn), else null. */
  barcode: string | null;
  /** The cell as read, for the unmatched list. */
  raw: string;
  scanned_at: Date | null;
}

const XLSX_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

const invalid = (detail: string, errors?: FieldError[]) =>
  new AppError('ATTENDANCE_FILE_INVALID', detail, errors ? { errors } : {});

/** The value of an exceljs cell as a plain string, number, Date or null. */
function cellValue(value: ExcelJS.CellValue): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object' || value instanceof Date) return value;
  if ('richText' in value) return value.richText.map((r) => r.text).join('');
  if ('result' in value) return cellValue(value.result as ExcelJS.CellValue);
  if ('text' in value) return cellValue(value.text as ExcelJS.CellValue);
  if ('error' in value) return String(value.error);
  return null;
}

/** Rows of the file as arrays of cell values, with their 1-based row numbers. */
async function readRows(bytes: Buffer): Promise<Array<{ row: number; cells: unknown[] }>> {
  if (bytes.length === 0) throw invalid('The file is empty');
  if (bytes.subarray(0, 4).equals(XLSX_MAGIC)) {
    const workbook = new ExcelJS.Workbook();
    try {
      await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
    } catch (err) {
      throw new AppError('ATTENDANCE_FILE_INVALID', 'The file is not a readable .xlsx workbook', {
        cause: err,
      });
    }
    const sheet = workbook.worksheets[0];
    if (!sheet) throw invalid('The workbook has no worksheet');
    const rows: Array<{ row: number; cells: unknown[] }> = [];
    sheet.eachRow({ includeEmpty: false }, (r, rowNumber) => {
      const values = r.values as ExcelJS.CellValue[];
      // exceljs rows are 1-based: values[0] is always empty
      rows.push({ row: rowNumber, cells: values.slice(1).map(cellValue) });
    });
    return rows;
  }
  const text = bytes.toString('utf8');
  // Neither a workbook nor text: a PDF, an image, an old .xls, a zip of something else.
  if (text.includes('\u0000') || text.includes('\uFFFD')) {
    throw invalid('The file is neither an .xlsx workbook nor a UTF-8 CSV file');
  }
  try {
    const records = parse(text, {
      bom: true,
      delimiter: [',', ';', '\t'],
      relax_column_count: true,
      skip_empty_lines: false,
      info: true,
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
    return records
      .map((r) => ({ row: r.info.lines, cells: r.record as unknown[] }))
      .filter((r) => r.cells.some((c) => String(c).trim() !== ''));
  } catch (err) {
    const line = (err as { lines?: number }).lines;
    throw new AppError(
      'ATTENDANCE_FILE_INVALID',
      `The CSV file cannot be read${line ? ` at line ${line}` : ''}: ${(err as Error).message}`,
      { cause: err, errors: line ? [{ field: `file.row.${line}`, message: 'not valid CSV' }] : [] },
    );
  }
}

export async function readAttendanceFile(
  bytes: Buffer,
  limits: { maxRows: number },
): Promise<ScanRow[]> {
  const rows = await readRows(bytes);
  const header = rows[0];
  if (!header) throw invalid('The file has no rows: a header row (barcode, scan_time) is needed');
  const names = header.cells.map(normalizeHeader);
  const barcodeAt = names.findIndex((n) => BARCODE_HEADERS.includes(n));
  const timeAt = names.findIndex((n) => SCAN_TIME_HEADERS.includes(n));
  const missing = [...(barcodeAt < 0 ? ['barcode'] : []), ...(timeAt < 0 ? ['scan_time'] : [])];
  if (missing.length > 0) {
    throw invalid(
      `Row ${header.row} must name the columns barcode and scan_time; missing: ${missing.join(', ')}`,
      missing.map((m) => ({ field: `file.row.${header.row}`, message: `no ${m} column` })),
    );
  }
  const data = rows.slice(1);
  if (data.length === 0) throw invalid('The file has a header but no scanned rows');
  if (data.length > limits.maxRows) {
    throw invalid(`The file has ${data.length} rows; at most ${limits.maxRows} are accepted`);
  }
  const errors: FieldError[] = [];
  const scans: ScanRow[] = [];
  for (const { row, cells } of data) {
    // Text the database cannot store (NUL, lone surrogates) is refused like in any body.
    if (unstorableTextPaths([cells[barcodeAt], cells[timeAt]]).length > 0) {
      if (errors.length < 50) {
        errors.push({ field: `file.row.${row}`, message: 'contains NUL or unpaired surrogates' });
      }
      continue;
    }
    const scannedAt = parseScanTime(cells[timeAt] ?? null);
    if (scannedAt === undefined) {
      if (errors.length < 50) {
        errors.push({
          field: `file.row.${row}`,
          message: `scan_time "${rawCellText(cells[timeAt])}" is not a date and time`,
        });
      }
      continue;
    }
    scans.push({
      row,
      barcode: scannedBarcode(cells[barcodeAt]),
      raw: rawCellText(cells[barcodeAt]),
      scanned_at: scannedAt,
    });
  }
  if (errors.length > 0) {
    throw invalid(
      `Row ${errors[0]!.field.slice('file.row.'.length)}: ${errors[0]!.message}`,
      errors,
    );
  }
  return scans;
}
