import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SEAT_MAP_TYPES, generateSeats, validateSeatMap, type SeatMap } from './seat-map.ts';

const seat = (row: number, col: number, type: SeatMap['seats'][number]['type'] = 'standard') => ({
  row,
  col,
  type,
});

const valid: SeatMap = {
  dimensions: { rows: 3, cols: 6 },
  seats: [
    // row A: 0 1 _ 3 4 (aisle at col 2)
    seat(0, 0),
    seat(0, 1),
    seat(0, 3, 'accessibility'),
    seat(0, 4, 'companion'),
    // row B: irregular, shorter and shifted
    seat(1, 2),
    seat(1, 3, 'technical'),
    // row C: empty (no label needed beyond those given)
  ],
  row_labels: ['A', 'B'],
  numbering_direction: 'LTR',
};

function errorsOf(input: unknown) {
  const result = validateSeatMap(input, 'seat_map_json');
  if (result.ok) throw new Error('expected the map to be invalid');
  return result.errors;
}

describe('validateSeatMap', () => {
  it('accepts the spec format with gaps and irregular rows', () => {
    const result = validateSeatMap(valid);
    expect(result.ok).toBe(true);
  });

  it('names the offending element', () => {
    expect(errorsOf({ ...valid, seats: [...valid.seats, seat(0, 1)] })).toEqual([
      { field: 'seat_map_json.seats.6', message: 'cell (0, 1) is already used by seats[1]' },
    ]);
    expect(errorsOf({ ...valid, seats: [seat(0, 0), seat(0, 6)] })[0]).toMatchObject({
      field: 'seat_map_json.seats.1.col',
    });
    expect(errorsOf({ ...valid, seats: [seat(5, 0)] })[0]).toMatchObject({
      field: 'seat_map_json.seats.0.row',
    });
    expect(errorsOf({ ...valid, seats: [seat(0, 0), seat(2, 0), seat(2, 1)] })).toEqual([
      {
        field: 'seat_map_json.seats.1.row',
        message: 'row 2 has seats but no label (row_labels has 2)',
      },
    ]);
    expect(errorsOf({ ...valid, seats: [{ row: 0, col: 0, type: 'luxury' }] })[0]?.field).toBe(
      'seat_map_json.seats.0.type',
    );
    expect(errorsOf({ ...valid, row_labels: ['A', 'A'] })[0]).toMatchObject({
      field: 'seat_map_json.row_labels.1',
    });
    expect(errorsOf({ ...valid, row_labels: ['A', 'B', 'C', 'D'] })[0]?.field).toBe(
      'seat_map_json.row_labels',
    );
    expect(errorsOf({ ...valid, numbering_direction: 'UP' })[0]?.field).toBe(
      'seat_map_json.numbering_direction',
    );
    expect(errorsOf({ ...valid, dimensions: { rows: 0, cols: 3 } })[0]?.field).toBe(
      'seat_map_json.dimensions.rows',
    );
    expect(errorsOf({ ...valid, extra: true })[0]?.field).toBe('seat_map_json');
    expect(errorsOf('not a map')[0]?.field).toBe('seat_map_json');
  });
});

describe('generateSeats', () => {
  it('numbers LTR left to right per row, skipping gaps, with labels by row index', () => {
    expect(generateSeats(valid)).toEqual([
      { row_identifier: 'A', seat_number: 1, seat_type: 'STANDARD', row_index: 0, col_index: 0 },
      { row_identifier: 'A', seat_number: 2, seat_type: 'STANDARD', row_index: 0, col_index: 1 },
      {
        row_identifier: 'A',
        seat_number: 3,
        seat_type: 'ACCESSIBILITY',
        row_index: 0,
        col_index: 3,
      },
      { row_identifier: 'A', seat_number: 4, seat_type: 'COMPANION', row_index: 0, col_index: 4 },
      { row_identifier: 'B', seat_number: 1, seat_type: 'STANDARD', row_index: 1, col_index: 2 },
      { row_identifier: 'B', seat_number: 2, seat_type: 'TECHNICAL', row_index: 1, col_index: 3 },
    ]);
  });

  it('numbers RTL right to left', () => {
    const numbers = generateSeats({ ...valid, numbering_direction: 'RTL' }).map(
      (s) => `${s.row_identifier}${s.seat_number}@${s.col_index}`,
    );
    expect(numbers).toEqual(['A4@0', 'A3@1', 'A2@3', 'A1@4', 'B2@2', 'B1@3']);
  });

  it('does not depend on the order of the seats array', () => {
    const shuffled = { ...valid, seats: [...valid.seats].reverse() };
    expect(generateSeats(shuffled)).toEqual(generateSeats(valid));
  });
});

// --- properties --------------------------------------------------------------------------

const mapArb: fc.Arbitrary<SeatMap> = fc
  .record({
    rows: fc.integer({ min: 1, max: 12 }),
    cols: fc.integer({ min: 1, max: 25 }),
    direction: fc.constantFrom('LTR' as const, 'RTL' as const),
  })
  .chain(({ rows, cols, direction }) =>
    fc
      .uniqueArray(
        fc.record({
          row: fc.integer({ min: 0, max: rows - 1 }),
          col: fc.integer({ min: 0, max: cols - 1 }),
          type: fc.constantFrom(...SEAT_MAP_TYPES),
        }),
        { maxLength: rows * cols, selector: (s) => `${s.row}:${s.col}` },
      )
      .map((seats) => ({
        dimensions: { rows, cols },
        seats,
        row_labels: Array.from({ length: rows }, (_, i) => `R${i + 1}`),
        numbering_direction: direction,
      })),
  );

describe('generateSeats properties', () => {
  it('generated maps are valid and produce one seat per entry', () => {
    fc.assert(
      fc.property(mapArb, (map) => {
        expect(validateSeatMap(map).ok).toBe(true);
        const seats = generateSeats(map);
        expect(seats).toHaveLength(map.seats.length);
        expect(new Set(seats.map((s) => `${s.row_index}:${s.col_index}`)).size).toBe(seats.length);
      }),
    );
  });

  it('numbers every row 1..n with no holes, whatever its gaps', () => {
    fc.assert(
      fc.property(mapArb, (map) => {
        const byRow = new Map<string, number[]>();
        for (const s of generateSeats(map)) {
          byRow.set(s.row_identifier, [...(byRow.get(s.row_identifier) ?? []), s.seat_number]);
          expect(s.row_identifier).toBe(map.row_labels[s.row_index]);
        }
        for (const [label, numbers] of byRow) {
          const n = map.seats.filter((s) => map.row_labels[s.row] === label).length;
          expect([...numbers].sort((a, b) => a - b)).toEqual(
            Array.from({ length: n }, (_, i) => i + 1),
          );
        }
      }),
    );
  });

  it('numbers increase in the numbering direction (gaps skipped, never counted)', () => {
    fc.assert(
      fc.property(mapArb, (map) => {
        const seats = generateSeats(map);
        for (let i = 1; i < seats.length; i++) {
          const [a, b] = [seats[i - 1]!, seats[i]!];
          if (a.row_index !== b.row_index) continue;
          expect(b.col_index).toBeGreaterThan(a.col_index);
          expect(b.seat_number - a.seat_number).toBe(map.numbering_direction === 'LTR' ? 1 : -1);
        }
      }),
    );
  });

  it('LTR and RTL mirror each other: number k from the left = number n+1-k from the right', () => {
    fc.assert(
      fc.property(mapArb, (map) => {
        const ltr = generateSeats({ ...map, numbering_direction: 'LTR' });
        const rtl = generateSeats({ ...map, numbering_direction: 'RTL' });
        const rowLength = new Map<number, number>();
        for (const s of ltr) rowLength.set(s.row_index, (rowLength.get(s.row_index) ?? 0) + 1);
        expect(rtl.map((s) => [s.row_index, s.col_index])).toEqual(
          ltr.map((s) => [s.row_index, s.col_index]),
        );
        ltr.forEach((s, i) => {
          expect(rtl[i]!.seat_number).toBe(rowLength.get(s.row_index)! + 1 - s.seat_number);
          expect(rtl[i]!.seat_type).toBe(s.seat_type);
        });
      }),
    );
  });

  it('keeps each seat type', () => {
    fc.assert(
      fc.property(mapArb, (map) => {
        const types = new Map(map.seats.map((s) => [`${s.row}:${s.col}`, s.type.toUpperCase()]));
        for (const s of generateSeats(map))
          expect(s.seat_type).toBe(types.get(`${s.row_index}:${s.col_index}`));
      }),
    );
  });
});
