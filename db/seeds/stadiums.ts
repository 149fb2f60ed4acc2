/**
 * The five Croatian stadium templates (spec E2-F3 "Data Seeding"): Maksimir, Poljud, Opus
 * Arena, Rujevica and Stadion Varaždin, with their stands split into lettered sectors, a
 * VIP sector, accessibility sectors and an away-fans sector, and a seat map for every
 * sector generated from a few parameters. Pure data + generator; the venues module's seed
 * (src/modules/venues/venues.seed.ts) writes it.
 *
 * The capacities are the seated capacities we model (close to the published figures);
 * every sector's seat map holds exactly its `seats`, so the stadium's capacity is the sum
 * of its sectors, which is checked below at import time and by a test.
 *
 * Map orientation: row index 0 (label "1") is the front row, nearest the pitch, drawn at
 * the top of the map; rows further back are longer (stands widen upwards); aisles are
 * straight gap columns through all rows; irregular rows are centred on the sector axis.
 */
import type { SeatMap, SeatMapSeatType } from '../../src/modules/venues/seat-map.ts';
import type { SnakeConfig } from '../../src/modules/venues/snake.ts';

export type SeedSectorType = 'STANDARD' | 'VIP' | 'ACCESSIBILITY';

export interface SectorDefinition {
  code: string;
  name: string;
  sector_type: SeedSectorType;
  /** Seats in the sector; its capacity. */
  seats: number;
  /** Rows; derived from the seat count when omitted. */
  rows?: number;
  numbering: 'LTR' | 'RTL';
  /** Seats at the back of the top row kept for cameras / stewards (seat type TECHNICAL). */
  technical?: number;
}

export interface StadiumDefinition {
  name: string;
  city: string;
  address: string;
  capacity: number;
  sectors: SectorDefinition[];
}

/** One stand split into lettered sectors of the given sizes. */
function stand(
  code: string,
  name: string,
  sizes: number[],
  numbering: 'LTR' | 'RTL',
  options: { first?: string; technical?: number } = {},
): SectorDefinition[] {
  const start = (options.first ?? 'A').charCodeAt(0);
  return sizes.map((seats, i) => {
    const letter = String.fromCharCode(start + i);
    return {
      code: `${code}-${letter}`,
      name: `${name} ${letter}`,
      sector_type: 'STANDARD',
      seats,
      numbering,
      ...(options.technical ? { technical: options.technical } : {}),
    };
  });
}

const vip = (code: string, name: string, seats: number): SectorDefinition => ({
  code,
  name,
  sector_type: 'VIP',
  seats,
  rows: Math.max(4, Math.round(seats / 60)),
  numbering: 'LTR',
});

/** Wheelchair places with a companion seat beside each, on one or two platform rows. */
const accessible = (code: string, name: string, seats: number): SectorDefinition => ({
  code,
  name,
  sector_type: 'ACCESSIBILITY',
  seats,
  rows: seats > 40 ? 2 : 1,
  numbering: 'LTR',
});

const away = (code: string, name: string, seats: number): SectorDefinition => ({
  code,
  name,
  sector_type: 'STANDARD',
  seats,
  numbering: 'LTR',
});

export const STADIUMS: StadiumDefinition[] = [
  {
    name: 'Stadion Maksimir',
    city: 'Zagreb',
    address: 'Maksimirska cesta 128, 10000 Zagreb',
    capacity: 35_123,
    sectors: [
      ...stand('W', 'Zapad', [1450, 1650, 1500], 'LTR'),
      vip('W-VIP', 'Zapad VIP', 900),
      ...stand('W', 'Zapad', [1500, 1650, 1450], 'LTR', { first: 'D', technical: 6 }),
      accessible('W-ACC', 'Zapad pristupačni', 60),
      ...stand('E', 'Istok', [1400, 1700, 1850, 1850, 1700, 1400], 'RTL', { technical: 4 }),
      ...stand('N', 'Sjever', [1900, 2050, 2050, 1900], 'LTR'),
      ...stand('S', 'Jug', [1800, 1999, 1900], 'LTR'),
      away('S-AWAY', 'Jug gostujući navijači', 1400),
      accessible('S-ACC', 'Jug pristupačni', 64),
    ],
  },
  {
    name: 'Stadion Poljud',
    city: 'Split',
    address: '8. mediteranskih igara 2, 21000 Split',
    capacity: 34_198,
    sectors: [
      ...stand('W', 'Zapad', [1500, 1700], 'LTR'),
      vip('W-VIP', 'Zapad VIP', 800),
      ...stand('W', 'Zapad', [1700, 1500], 'LTR', { first: 'C', technical: 6 }),
      accessible('W-ACC', 'Zapad pristupačni', 48),
      ...stand('E', 'Istok', [1600, 1800, 2000, 2000, 1800, 1600], 'RTL', { technical: 4 }),
      ...stand('N', 'Sjever', [2100, 2300, 2300, 2100], 'LTR'),
      ...stand('S', 'Jug', [2000, 2100], 'LTR'),
      away('S-AWAY', 'Jug gostujući navijači', 1600),
      ...stand('S', 'Jug', [1600], 'LTR', { first: 'C' }),
      accessible('S-ACC', 'Jug pristupačni', 50),
    ],
  },
  {
    name: 'Opus Arena',
    city: 'Osijek',
    address: 'Ulica Kneza Trpimira 2, 31000 Osijek',
    capacity: 13_005,
    sectors: [
      ...stand('W', 'Zapad', [1400], 'LTR'),
      vip('W-VIP', 'Zapad VIP', 500),
      ...stand('W', 'Zapad', [1400], 'LTR', { first: 'B', technical: 4 }),
      accessible('W-ACC', 'Zapad pristupačni', 40),
      ...stand('E', 'Istok', [1500, 1700, 1500], 'RTL'),
      ...stand('N', 'Sjever', [1367, 1368], 'LTR'),
      ...stand('S', 'Jug', [1300], 'LTR'),
      away('S-AWAY', 'Jug gostujući navijači', 900),
      accessible('S-ACC', 'Jug pristupačni', 30),
    ],
  },
  {
    name: 'Stadion Rujevica',
    city: 'Rijeka',
    address: 'Ulica Mladena Ivaniša bb, 51000 Rijeka',
    capacity: 8_279,
    sectors: [
      ...stand('W', 'Zapad', [900], 'LTR'),
      vip('W-VIP', 'Zapad VIP', 300),
      ...stand('W', 'Zapad', [900], 'LTR', { first: 'B', technical: 4 }),
      accessible('W-ACC', 'Zapad pristupačni', 24),
      ...stand('E', 'Istok', [1000, 1100, 1000], 'RTL'),
      ...stand('N', 'Sjever', [1200], 'LTR'),
      ...stand('S', 'Jug', [1155], 'LTR'),
      away('S-AWAY', 'Jug gostujući navijači', 700),
    ],
  },
  {
    name: 'Stadion Varaždin',
    city: 'Varaždin',
    address: 'Zagrebačka ulica 96, 42000 Varaždin',
    capacity: 8_818,
    sectors: [
      ...stand('W', 'Zapad', [1100], 'LTR'),
      vip('W-VIP', 'Zapad VIP', 250),
      ...stand('W', 'Zapad', [1100], 'LTR', { first: 'B', technical: 4 }),
      accessible('W-ACC', 'Zapad pristupačni', 30),
      ...stand('E', 'Istok', [1300, 1300], 'RTL'),
      ...stand('N', 'Sjever', [1400], 'LTR'),
      ...stand('S', 'Jug', [1638], 'LTR'),
      away('S-AWAY', 'Jug gostujući navijači', 700),
    ],
  },
];

// --- seat map generator ------------------------------------------------------------------

/** Seats between two aisles in a block of a stand (staircases every ~14 seats). */
const BLOCK_WIDTH = 14;

/**
 * Row lengths summing exactly to `seats`: each row `widen` seats longer than the one in
 * front of it (rounded down), the remainder going to the back rows.
 */
export function rowLengths(seats: number, rows: number, widen: number): number[] {
  const growth = Array.from({ length: rows }, (_, r) => Math.floor(r * widen));
  const base = Math.floor((seats - growth.reduce((a, b) => a + b, 0)) / rows);
  if (base < 1) throw new Error(`${seats} seats do not fit ${rows} rows widening by ${widen}`);
  const lengths = growth.map((g) => base + g);
  let rest = seats - lengths.reduce((a, b) => a + b, 0);
  // rest < rows: one extra seat for each of the last `rest` rows
  for (let r = rows - 1; rest > 0; r--, rest--) lengths[r]!++;
  return lengths;
}

/** A stand sector: widening rows, straight aisles, technical seats at the back. */
function standMap(def: SectorDefinition): SeatMap {
  const rows = def.rows ?? Math.min(40, Math.max(8, Math.round(Math.sqrt(def.seats / 1.6))));
  const lengths = rowLengths(def.seats, rows, def.sector_type === 'VIP' ? 0 : 0.5);
  const longest = Math.max(...lengths);
  const aisles = Math.max(1, Math.round(longest / BLOCK_WIDTH) - 1);
  const cols = longest + aisles;
  // Aisle columns evenly spread over the width; the same columns in every row.
  const aisleCols = new Set(
    Array.from({ length: aisles }, (_, j) => Math.round(((j + 1) * cols) / (aisles + 1))),
  );
  const axis = (cols - 1) / 2;
  const candidates = Array.from({ length: cols }, (_, c) => c)
    .filter((c) => !aisleCols.has(c))
    .sort((a, b) => Math.abs(a - axis) - Math.abs(b - axis) || b - a);
  const seats: SeatMap['seats'] = [];
  lengths.forEach((length, r) => {
    // The row's seats are the non-aisle columns nearest the sector axis (ties to the
    // right), so shorter front rows sit centred under the longer back rows.
    const picked = candidates.slice(0, length).sort((a, b) => a - b);
    const technicalFrom = r === rows - 1 ? picked.length - (def.technical ?? 0) : Infinity;
    picked.forEach((col, i) => {
      const type: SeatMapSeatType = i >= technicalFrom ? 'technical' : 'standard';
      seats.push({ row: r, col, type });
    });
  });
  return {
    dimensions: { rows, cols },
    seats,
    row_labels: Array.from({ length: rows }, (_, r) => String(r + 1)),
    numbering_direction: def.numbering,
  };
}

/** Wheelchair platform: pairs of (accessibility, companion) with a free cell between pairs. */
function accessibilityMap(def: SectorDefinition): SeatMap {
  if (def.seats % 2 !== 0) throw new Error(`${def.code}: accessibility seats come in pairs`);
  const rows = def.rows ?? 1;
  const pairs = def.seats / 2;
  const perRow = Math.ceil(pairs / rows);
  const seats: SeatMap['seats'] = [];
  for (let p = 0; p < pairs; p++) {
    const row = Math.floor(p / perRow);
    const col = (p % perRow) * 3;
    seats.push({ row, col, type: 'accessibility' }, { row, col: col + 1, type: 'companion' });
  }
  return {
    dimensions: { rows, cols: perRow * 3 - 1 },
    seats,
    row_labels: Array.from({ length: rows }, (_, r) => `P${r + 1}`),
    numbering_direction: def.numbering,
  };
}

export function sectorSeatMap(def: SectorDefinition): SeatMap {
  return def.sector_type === 'ACCESSIBILITY' ? accessibilityMap(def) : standMap(def);
}

/**
 * How seats of the sector are handed out: from a third of the way up the stand (the best
 * view) away from the pitch; VIP and accessibility sectors from the front row. VIP and the
 * central stand sectors fill from the middle outwards.
 */
export function sectorSnakeConfig(def: SectorDefinition, map: SeatMap): SnakeConfig {
  const rows = map.dimensions.rows;
  const front = def.sector_type !== 'STANDARD';
  return {
    best_row_index: front ? 0 : Math.floor(rows / 3),
    traversal_direction: 'TOP_TO_BOTTOM',
    within_row_strategy: def.sector_type === 'VIP' ? 'CENTER_OUTWARD' : 'LEFT_TO_RIGHT',
    subsector_grouping_json: null,
  };
}

// The definitions are data typed by hand: fail at import when one does not add up.
for (const stadium of STADIUMS) {
  const total = stadium.sectors.reduce((sum, s) => sum + s.seats, 0);
  if (total !== stadium.capacity) {
    throw new Error(
      `${stadium.name}: sectors hold ${total} seats, capacity is ${stadium.capacity}`,
    );
  }
  const codes = new Set(stadium.sectors.map((s) => s.code));
  if (codes.size !== stadium.sectors.length) throw new Error(`${stadium.name}: duplicate codes`);
}
