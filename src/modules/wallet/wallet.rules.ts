import { createHmac, timingSafeEqual } from 'node:crypto';

/** Pure rules of the wallet module (E9-F4 passes, E9-F6 away-match PDFs). */

// Passes -------------------------------------------------------------------------------

const ZAGREB_KICK_OFF = new Intl.DateTimeFormat('hr-HR', {
  timeZone: 'Europe/Zagreb',
  weekday: 'short',
  day: 'numeric',
  month: 'numeric',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** Kick-off as fans in Croatia read it, in Zagreb time whatever the phone's zone. */
export function zagrebKickOff(kickOff: Date): string {
  return ZAGREB_KICK_OFF.format(kickOff).replace(/\s+/g, ' ');
}

/**
 * A pass's authentication token (Apple's web service sends it back as `ApplePass <token>`):
 * the owner it was issued to and an HMAC of ticket and owner. Stateless, and a pass saved
 * by an owner who since gave the ticket away still authenticates as theirs, so it can be
 * told that the ticket moved (and never shows the new holder's QR).
 */
export function passAuthToken(secret: string, ticketId: string, ownerUserId: string): string {
  const mac = createHmac('sha256', secret).update(`${ticketId}:${ownerUserId}`).digest('base64url');
  return `${ownerUserId}.${mac}`;
}

/** The owner a token was issued to, or undefined when it is not a token of this ticket. */
export function passTokenOwner(
  secret: string,
  ticketId: string,
  token: string,
): string | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0) return undefined;
  const owner = token.slice(0, dot);
  const expected = Buffer.from(passAuthToken(secret, ticketId, owner));
  const given = Buffer.from(token);
  return expected.length === given.length && timingSafeEqual(expected, given) ? owner : undefined;
}

/** What a ticket's pass shows besides the match: the QR, or why there is none (yet). */
export type PassState =
  | { kind: 'VALID' }
  | { kind: 'SEAT_PENDING'; seatVisibleAt: Date; qrOpensAt: Date }
  | { kind: 'QR_PENDING'; qrOpensAt: Date }
  | { kind: 'EXTERNAL' }
  | { kind: 'VOID'; reason: 'CANCELLED' | 'TRANSFERRED_AWAY' };

const VALID_STATUSES = new Set(['SOLD', 'ATTENDED']);

/**
 * The pass follows the ticket's visibility tier (E9-F2, tickets.rules.ts): before the seat
 * is shown the pass says when it will be and has no barcode; before the QR opens it shows
 * the seat and says when the QR comes. A ticket no longer the viewer's, or no longer
 * valid, voids the pass; one admitted by the host's PDF has no QR at all.
 */
export function passState(ticket: {
  status: string;
  external_ticket_required: boolean;
  ownedByViewer: boolean;
  tier: 'ORDER_INFO' | 'SEAT' | 'FULL';
  seatVisibleAt: Date;
  qrOpensAt: Date;
}): PassState {
  if (!ticket.ownedByViewer) return { kind: 'VOID', reason: 'TRANSFERRED_AWAY' };
  if (!VALID_STATUSES.has(ticket.status)) return { kind: 'VOID', reason: 'CANCELLED' };
  if (ticket.external_ticket_required) return { kind: 'EXTERNAL' };
  if (ticket.tier === 'ORDER_INFO') {
    return {
      kind: 'SEAT_PENDING',
      seatVisibleAt: ticket.seatVisibleAt,
      qrOpensAt: ticket.qrOpensAt,
    };
  }
  if (ticket.tier === 'SEAT') return { kind: 'QR_PENDING', qrOpensAt: ticket.qrOpensAt };
  return { kind: 'VALID' };
}

/** The line a pass shows instead of the QR. */
export function passNotice(state: PassState): string | null {
  switch (state.kind) {
    case 'VALID':
      return null;
    case 'SEAT_PENDING':
      return `Sjedalo od ${zagrebKickOff(state.seatVisibleAt)}, QR kod od ${zagrebKickOff(state.qrOpensAt)} / Seat and QR code shown closer to the match`;
    case 'QR_PENDING':
      return `QR kod od ${zagrebKickOff(state.qrOpensAt)} / QR code shown 5 hours before kick-off`;
    case 'EXTERNAL':
      return "Ulaz s PDF ulaznicom domaćina (poslana e-poštom) / Entry with the host's PDF ticket";
    case 'VOID':
      return state.reason === 'CANCELLED'
        ? 'Ulaznica je poništena / This ticket is no longer valid'
        : 'Ulaznica je prenesena drugoj osobi / This ticket was transferred';
  }
}

/** The instants at which a pass issued in this state changes by itself (tier openings). */
export function passChangesAt(state: PassState): Date[] {
  if (state.kind === 'SEAT_PENDING') return [state.seatVisibleAt, state.qrOpensAt];
  if (state.kind === 'QR_PENDING') return [state.qrOpensAt];
  return [];
}

// Away-match PDFs ----------------------------------------------------------------------

// Letters NFD does not take apart (đ is its own letter, not d with a mark).
const FOLD: Record<string, string> = { đ: 'd', ð: 'd', ł: 'l', ø: 'o', ß: 'ss', æ: 'ae', œ: 'oe' };

/** Lower case, no diacritics, letters and digits only, single spaces. */
export function foldText(text: string): string {
  return text
    .toLowerCase()
    .replace(/[đðłøßæœ]/g, (c) => FOLD[c] ?? c)
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** The words of a name, folded and in sorted order: "Perić, Ana Marija" = "ana marija peric". */
export function nameKey(name: string): string {
  return foldText(name).split(' ').filter(Boolean).sort().join(' ');
}

export interface MatchCandidate {
  ticketId: string;
  holderName: string | null;
  sector: string;
  row: string;
  seat: number;
}

export type DocumentMatch =
  | { outcome: 'MATCHED'; ticketId: string; by: 'name' | 'seat' | 'name+seat' }
  | { outcome: 'AMBIGUOUS'; candidates: string[]; reason: string }
  | { outcome: 'UNMATCHED'; reason: string };

/** True when every word of the name is a word of the text (any order, any case, no marks). */
function nameIn(words: Set<string>, name: string | null): boolean {
  const parts = name ? nameKey(name).split(' ').filter(Boolean) : [];
  return parts.length >= 2 && parts.every((p) => words.has(p));
}

const SEAT_PATTERNS = [
  /(?:sektor|sector|tribina|blok|block|section)\s+(\S+)\s+(?:red|row|reihe|fila)\s+(\S+)\s+(?:sjedalo|mjesto|seat|sitz|platz|posto)\s+(\d+)/g,
];

/** The (sector, row, seat) triples the text names, folded. */
export function seatsIn(text: string): Array<{ sector: string; row: string; seat: number }> {
  const folded = foldText(text);
  const found: Array<{ sector: string; row: string; seat: number }> = [];
  for (const pattern of SEAT_PATTERNS) {
    for (const m of folded.matchAll(pattern)) {
      found.push({ sector: m[1]!, row: m[2]!, seat: Number(m[3]) });
    }
  }
  return found;
}

/**
 * Which ticket a host PDF's text is for (E9-F6): by the holder's name (all its words in the
 * text, whatever the case, diacritics and order of names) and by the seat it names. One
 * ticket by name, or by seat when no name is found: matched; a name that fits several
 * tickets, told apart by no seat: ambiguous (an admin decides); neither: unmatched.
 */
export function matchDocument(text: string, tickets: readonly MatchCandidate[]): DocumentMatch {
  const words = new Set(foldText(text).split(' ').filter(Boolean));
  const seats = seatsIn(text);
  const seatFits = (t: MatchCandidate) =>
    seats.some(
      (s) => s.sector === foldText(t.sector) && s.row === foldText(t.row) && s.seat === t.seat,
    );
  const byName = tickets.filter((t) => nameIn(words, t.holderName));
  const bySeat = tickets.filter(seatFits);
  if (byName.length === 1) {
    const [only] = byName;
    // A seat naming another ticket contradicts the name: an admin decides.
    if (bySeat.length > 0 && !bySeat.includes(only!)) {
      return {
        outcome: 'AMBIGUOUS',
        candidates: [only!.ticketId, ...bySeat.map((t) => t.ticketId)],
        reason: 'the name and the seat name different tickets',
      };
    }
    return {
      outcome: 'MATCHED',
      ticketId: only!.ticketId,
      by: bySeat.length ? 'name+seat' : 'name',
    };
  }
  if (byName.length > 1) {
    const both = byName.filter(seatFits);
    if (both.length === 1)
      return { outcome: 'MATCHED', ticketId: both[0]!.ticketId, by: 'name+seat' };
    return {
      outcome: 'AMBIGUOUS',
      candidates: byName.map((t) => t.ticketId),
      reason: `the name fits ${byName.length} tickets`,
    };
  }
  if (bySeat.length === 1) return { outcome: 'MATCHED', ticketId: bySeat[0]!.ticketId, by: 'seat' };
  if (bySeat.length > 1) {
    return {
      outcome: 'AMBIGUOUS',
      candidates: bySeat.map((t) => t.ticketId),
      reason: 'the seat fits several tickets',
    };
  }
  return {
    outcome: 'UNMATCHED',
    reason:
      words.size === 0
        ? 'the document has no text'
        : 'no holder name or seat of the match recognised',
  };
}
