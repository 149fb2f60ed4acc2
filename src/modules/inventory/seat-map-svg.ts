import { SEAT_STATUSES, SEAT_STATUS_COLORS, type SeatStatus } from './seat-status.ts';

/**
 * The picture of one match sector (E3-F5): every seat drawn at its seat-map cell
 * (row_index, col_index) in its status colour, row labels on both sides, a title and a
 * legend with the count of each status. Pure: data in, SVG text out.
 */

export interface MapSeat {
  id: string;
  row_identifier: string;
  seat_number: number;
  row_index: number;
  col_index: number;
  status: SeatStatus;
}

export interface SeatMapSvgInput {
  title: string;
  subtitle?: string;
  seats: readonly MapSeat[];
}

const CELL = 18; // px per seat-map cell
const SEAT = 14; // seat square inside its cell
const LABEL_W = 36; // row-label gutter on each side
const PAD = 16;
const HEADER_H = 52;
const LEGEND_ROW_H = 20;
const LEGEND_COLS = 5;
const LEGEND_COL_W = 150;

const escapeXml = (s: string) =>
  s.replace(/[<>&'"]/g, (c) =>
    c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : c === "'" ? '&apos;' : '&quot;',
  );

export function renderSeatMapSvg(input: SeatMapSvgInput): string {
  const { seats } = input;
  const rows = seats.length ? Math.max(...seats.map((s) => s.row_index)) + 1 : 0;
  const cols = seats.length ? Math.max(...seats.map((s) => s.col_index)) + 1 : 0;
  const gridW = cols * CELL;
  const gridH = rows * CELL;
  const legendRows = Math.ceil(SEAT_STATUSES.length / LEGEND_COLS);
  const width = Math.max(PAD * 2 + LABEL_W * 2 + gridW, PAD * 2 + LEGEND_COLS * LEGEND_COL_W);
  const legendTop = HEADER_H + gridH + PAD * 2;
  const height = legendTop + legendRows * LEGEND_ROW_H + PAD;
  const gridLeft = PAD + LABEL_W + Math.max(0, (width - PAD * 2 - LABEL_W * 2 - gridW) / 2);

  const counts = Object.fromEntries(SEAT_STATUSES.map((s) => [s, 0])) as Record<SeatStatus, number>;
  for (const s of seats) counts[s.status] += 1;

  // One label per row index: the row's identifier (rows are the same label across a row).
  const rowLabels = new Map<number, string>();
  for (const s of seats)
    if (!rowLabels.has(s.row_index)) rowLabels.set(s.row_index, s.row_identifier);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" role="img">`,
  );
  out.push(`<title>${escapeXml(input.title)}</title>`);
  out.push(
    `<rect class="background" x="0" y="0" width="${width}" height="${height}" fill="#FFFFFF"/>`,
  );
  out.push(
    `<text class="heading" x="${PAD}" y="${PAD + 12}" font-size="16" font-weight="bold" fill="#212121">${escapeXml(input.title)}</text>`,
  );
  if (input.subtitle) {
    out.push(
      `<text class="subheading" x="${PAD}" y="${PAD + 30}" font-size="11" fill="#616161">${escapeXml(input.subtitle)}</text>`,
    );
  }

  out.push(`<g class="row-labels" font-size="10" fill="#424242">`);
  for (const [rowIndex, label] of [...rowLabels].sort((a, b) => a[0] - b[0])) {
    const y = HEADER_H + rowIndex * CELL + CELL / 2 + 3.5;
    const text = escapeXml(label);
    out.push(
      `<text class="row-label" data-row-index="${rowIndex}" x="${gridLeft - 6}" y="${y}" text-anchor="end">${text}</text>`,
      `<text class="row-label" data-row-index="${rowIndex}" x="${gridLeft + gridW + 6}" y="${y}" text-anchor="start">${text}</text>`,
    );
  }
  out.push('</g>');

  out.push('<g class="seats">');
  const offset = (CELL - SEAT) / 2;
  for (const s of seats) {
    const x = gridLeft + s.col_index * CELL + offset;
    const y = HEADER_H + s.row_index * CELL + offset;
    const label = `Row ${s.row_identifier}, seat ${s.seat_number}: ${s.status}`;
    out.push(
      `<rect class="seat" id="seat-${s.id}" data-status="${s.status}" data-row="${escapeXml(s.row_identifier)}" data-seat="${s.seat_number}" x="${x}" y="${y}" width="${SEAT}" height="${SEAT}" rx="3" fill="${SEAT_STATUS_COLORS[s.status]}"><title>${escapeXml(label)}</title></rect>`,
    );
  }
  out.push('</g>');

  out.push(`<g class="legend" font-size="11" fill="#212121">`);
  SEAT_STATUSES.forEach((status, i) => {
    const x = PAD + (i % LEGEND_COLS) * LEGEND_COL_W;
    const y = legendTop + Math.floor(i / LEGEND_COLS) * LEGEND_ROW_H;
    out.push(
      `<g class="legend-item" data-status="${status}">` +
        `<rect x="${x}" y="${y}" width="12" height="12" rx="2" fill="${SEAT_STATUS_COLORS[status]}"/>` +
        `<text x="${x + 18}" y="${y + 10}">${status} (${counts[status]})</text></g>`,
    );
  });
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n');
}
