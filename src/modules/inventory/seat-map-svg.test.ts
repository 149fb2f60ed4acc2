import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { renderSeatMapSvg } from './seat-map-svg.ts';
import { SEAT_STATUSES } from './seat-status.ts';

const parse = (svg: string) =>
  new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(svg);

describe('renderSeatMapSvg', () => {
  it('escapes text so labels and titles never break the XML', () => {
    const svg = renderSeatMapSvg({
      title: 'Dinamo <Zagreb> & "Hajduk"',
      subtitle: "Sector 'Sjever'",
      seats: [
        {
          id: 'a',
          row_identifier: '<1>',
          seat_number: 1,
          row_index: 0,
          col_index: 0,
          status: 'SOLD',
        },
      ],
    });
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(parse(svg).svg.title).toBe('Dinamo <Zagreb> & "Hajduk"');
  });

  it('draws an empty sector as a valid picture with the full legend', () => {
    const svg = renderSeatMapSvg({ title: 'Empty', seats: [] });
    expect(XMLValidator.validate(svg)).toBe(true);
    const groups = [parse(svg).svg.g].flat() as { class: string; g?: unknown; rect?: unknown }[];
    expect(groups.find((g) => g.class === 'seats')!.rect).toBeUndefined();
    expect([groups.find((g) => g.class === 'legend')!.g].flat()).toHaveLength(SEAT_STATUSES.length);
  });

  it('sizes the canvas to the furthest cell', () => {
    const svg = renderSeatMapSvg({
      title: 'Wide',
      seats: [
        {
          id: 'a',
          row_identifier: 'A',
          seat_number: 1,
          row_index: 0,
          col_index: 0,
          status: 'AVAILABLE',
        },
        {
          id: 'b',
          row_identifier: 'Z',
          seat_number: 1,
          row_index: 40,
          col_index: 99,
          status: 'AVAILABLE',
        },
      ],
    });
    const root = parse(svg).svg;
    expect(Number(root.width)).toBeGreaterThan(100 * 18);
    expect(Number(root.height)).toBeGreaterThan(41 * 18);
  });
});
