import { isValidBarcode } from '../tickets/ticket-codes.ts';

/**
 * Pure rules of match day (no I/O): the export's file name (E2-F8, E13-F1), reading a
 * scanned row's barcode and scan time (E2-F9, E13-F2), Europe/Zagreb wall time.
 */

const zagrebParts = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Zagreb',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** The wall-clock fields of an instant in Croatia. */
export function zagrebWallTime(at: Date) {
  const parts = Object.fromEntries(
    zagrebParts.formatToParts(at).map((p) => [p.type, p.value] as const),
  );
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  };
}

/** `MatchID_TicketExport_YYYYMMDD_HHMM.xlsx`, the time of the export in Croatia (E2-F8). */
export function exportFileName(matchId: string, at: Date): string {
  const z = zagrebWallTime(at);
  return `${matchId}_TicketExport_${z.year}${z.month}${z.day}_${z.hour}${z.minute}.xlsx`;
}

/** The file name pattern the access-control system expects (for tests and clients). */
export const EXPORT_FILE_NAME = /^[0-9a-f-]{36}_TicketExport_\d{8}_\d{4}\.xlsx$/;

/** Milliseconds Croatia is ahead of UTC at this instant (3,600,000 or 7,200,000). */
function zagrebOffsetMs(at: Date): number {
  const z = zagrebWallTime(at);
  const asUtc = Date.UTC(+z.year, +z.month - 1, +z.day, +z.hour, +z.minute, +z.second);
  return asUtc - Math.floor(at.getTime() / 1000) * 1000;
}

/**
 * The instant of a wall-clock time in Croatia. In the autumn's repeated hour the earlier
 * (summer time) instant is taken; a time in the spring's skipped hour moves an hour on.
 */
export function zagrebLocalToInstant(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): Date {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  const first = asUtc - zagrebOffsetMs(new Date(asUtc));
  const second_ = asUtc - zagrebOffsetMs(new Date(first));
  return new Date(Math.min(first, second_));
}

const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?$/;
const OFFSET_TIME =
  /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;
const HR_TIME = /^(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})\.?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?$/;

function validWall(y: number, mo: number, d: number, h: number, mi: number, s: number) {
  const probe = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return (
    probe.getUTCFullYear() === y &&
    probe.getUTCMonth() === mo - 1 &&
    probe.getUTCDate() === d &&
    h < 24 &&
    mi < 60 &&
    s < 60
  );
}

/**
 * A scan time as the gates write it: ISO 8601 with an offset or Z (an instant), or a
 * wall-clock time in Croatia (`2026-12-04 20:45[:12]`, `4.12.2026. 20:45`). Undefined
 * when it is none of these (the file is refused naming the row); null for an empty cell.
 */
export function parseScanTime(value: unknown): Date | null | undefined {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) {
    // A spreadsheet date cell has no zone: exceljs reads its wall time as UTC fields.
    if (Number.isNaN(value.getTime())) return undefined;
    return zagrebLocalToInstant(
      value.getUTCFullYear(),
      value.getUTCMonth() + 1,
      value.getUTCDate(),
      value.getUTCHours(),
      value.getUTCMinutes(),
      value.getUTCSeconds(),
    );
  }
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '') return null;
  if (OFFSET_TIME.test(text)) {
    const at = new Date(text.replace(' ', 'T'));
    return Number.isNaN(at.getTime()) ? undefined : at;
  }
  const local = LOCAL_TIME.exec(text);
  const hr = local ? null : HR_TIME.exec(text);
  const f = local
    ? [local[1], local[2], local[3], local[4], local[5], local[6]]
    : hr
      ? [hr[3], hr[2], hr[1], hr[4], hr[5], hr[6]]
      : null;
  if (!f) return undefined;
  const [y, mo, d, h, mi, s] = f.map((x) => Number(x ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (!validWall(y, mo, d, h, mi, s)) return undefined;
  return zagrebLocalToInstant(y, mo, d, h, mi, s);
}

/**
 * A scanned barcode cell as text, or null when it cannot be one of ours: our barcodes are
 * 18 digits with a Luhn check digit. A number cell is refused too, since a spreadsheet
 * number keeps only 15–17 significant digits (the export writes text cells).
 */
export function scannedBarcode(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const text = value.trim();
  return isValidBarcode(text) ? text : null;
}

/** How an unmatched barcode is stored: the raw value as text, at most 64 characters. */
export function rawCellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = value instanceof Date ? value.toISOString() : String(value);
  return text.slice(0, 64);
}

/** Header names the attendance file's two columns may have (case and spacing ignored). */
export const BARCODE_HEADERS = ['barcode', 'bar code', 'code', 'ticket barcode', 'barkod'];
export const SCAN_TIME_HEADERS = [
  'scan_time',
  'scan time',
  'scanned_at',
  'scanned at',
  'scan_timestamp',
  'timestamp',
  'time',
  'vrijeme',
];

export const normalizeHeader = (value: unknown) =>
  String(value ?? '')
    .trim()
    .toLowerCase()
    .replace(/\s+/g, ' ');
