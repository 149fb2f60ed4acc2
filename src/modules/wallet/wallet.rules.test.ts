import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PASS_ASSETS, passAssets } from './branding.ts';
import {
  foldText,
  matchDocument,
  nameKey,
  passAuthToken,
  passState,
  passTokenOwner,
  seatsIn,
  zagrebKickOff,
  type MatchCandidate,
} from './wallet.rules.ts';

const letters = fc.constantFrom(
  ...'abcčćdđefghijklmnoprsštuvzžABCČĆDĐEFGHIJKLMNOPRSŠTUVZŽ'.split(''),
);
const word = fc.array(letters, { minLength: 2, maxLength: 9 }).map((a) => a.join(''));
const name = fc.array(word, { minLength: 2, maxLength: 4 });

describe('away PDF name matching (E9-F6)', () => {
  it('folds case and Croatian diacritics (đ included)', () => {
    expect(foldText('ĐURĐA Šimić-Čačić')).toBe('durda simic cacic');
    expect(nameKey('Perić, Ana Marija')).toBe(nameKey('ana marija PERIC'));
  });

  it('a name is found in any case, with or without marks, in any order of its words', () => {
    fc.assert(
      fc.property(name, fc.boolean(), fc.boolean(), (words, upper, reversed) => {
        const holder = words.join(' ');
        let printed = (reversed ? [...words].reverse() : words).join(' ');
        printed = upper ? printed.toUpperCase() : printed.toLowerCase();
        printed = printed
          .normalize('NFD')
          .replace(/\p{M}/gu, '')
          .replace(/đ/g, 'd')
          .replace(/Đ/g, 'D');
        const tickets: MatchCandidate[] = [
          { ticketId: 't1', holderName: holder, sector: 'S1', row: 'A', seat: 1 },
        ];
        expect(matchDocument(`Ticket\nHolder: ${printed}\nGate 3`, tickets)).toMatchObject({
          outcome: 'MATCHED',
          ticketId: 't1',
        });
      }),
    );
  });

  it('never matches a ticket whose name is not in the text, and a shared name needs the seat', () => {
    fc.assert(
      fc.property(name, name, (a, b) => {
        fc.pre(nameKey(a.join(' ')) !== nameKey(b.join(' ')));
        fc.pre(
          !nameKey(b.join(' '))
            .split(' ')
            .every((w) => nameKey(a.join(' ')).split(' ').includes(w)),
        );
        const tickets: MatchCandidate[] = [
          { ticketId: 'b', holderName: b.join(' '), sector: 'S1', row: 'A', seat: 1 },
        ];
        expect(matchDocument(`Holder: ${a.join(' ')}`, tickets).outcome).toBe('UNMATCHED');
      }),
    );
    const twins: MatchCandidate[] = [
      { ticketId: 'x', holderName: 'Ivan Horvat', sector: 'S1', row: 'A', seat: 1 },
      { ticketId: 'y', holderName: 'Ivan Horvat', sector: 'S1', row: 'A', seat: 2 },
    ];
    expect(matchDocument('Ivan Horvat', twins)).toMatchObject({
      outcome: 'AMBIGUOUS',
      candidates: ['x', 'y'],
    });
    expect(matchDocument('Ivan Horvat Sektor S1 Red A Sjedalo 2', twins)).toMatchObject({
      outcome: 'MATCHED',
      ticketId: 'y',
      by: 'name+seat',
    });
    expect(seatsIn('Sector S1 Row A Seat 12')).toEqual([{ sector: 's1', row: 'a', seat: 12 }]);
    expect(matchDocument('', twins)).toMatchObject({
      outcome: 'UNMATCHED',
      reason: 'the document has no text',
    });
  });
});

describe('passes (E9-F4)', () => {
  it('authentication tokens name their owner and fit only their ticket', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.uuid(), fc.uuid(), (ticket, owner, other) => {
        fc.pre(ticket !== other);
        const token = passAuthToken('s'.repeat(32), ticket, owner);
        expect(token.length).toBeGreaterThanOrEqual(16);
        expect(passTokenOwner('s'.repeat(32), ticket, token)).toBe(owner);
        expect(passTokenOwner('s'.repeat(32), other, token)).toBeUndefined();
        expect(passTokenOwner('t'.repeat(32), ticket, token)).toBeUndefined();
      }),
    );
  });

  it('a pass has a QR only for its owner, a valid ticket, no host PDF and the FULL tier', () => {
    const at = new Date('2026-12-20T19:45:00Z');
    fc.assert(
      fc.property(
        fc.constantFrom('SOLD', 'ATTENDED', 'CANCELLED', 'REFUNDED'),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom('ORDER_INFO', 'SEAT', 'FULL') as fc.Arbitrary<
          'ORDER_INFO' | 'SEAT' | 'FULL'
        >,
        (status, external, owned, tier) => {
          const s = passState({
            status,
            external_ticket_required: external,
            ownedByViewer: owned,
            tier,
            seatVisibleAt: at,
            qrOpensAt: at,
          });
          const valid =
            owned && (status === 'SOLD' || status === 'ATTENDED') && !external && tier === 'FULL';
          expect(s.kind === 'VALID').toBe(valid);
        },
      ),
    );
  });

  it('kick-off is in Zagreb time', () => {
    expect(zagrebKickOff(new Date('2026-07-10T18:45:00Z'))).toContain('20:45'); // CEST
    expect(zagrebKickOff(new Date('2026-12-10T19:45:00Z'))).toContain('20:45'); // CET
  });

  it('the committed pass images are what branding.ts draws', () => {
    const files = passAssets();
    for (const [file, draw] of Object.entries(PASS_ASSETS))
      expect(files[file]!.equals(draw()), file).toBe(true);
  });
});
