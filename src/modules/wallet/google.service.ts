import type { AppDeps } from '../../deps.ts';
import { notFound } from '../../platform/errors.ts';
import { getTicketForWallet } from '../tickets/tickets.service.ts';
import { HNS_BLUE } from './branding.ts';
import { passContent, type PassContent } from './pass-content.ts';
import { schedulePassRefresh } from './pass-schedule.ts';
import { googleWalletOf } from './wallet-clients.ts';
import { noteGoogleObject, notePassIssued } from './wallet-passes.repo.ts';

type Deps = Pick<AppDeps, 'db' | 'config' | 'clock' | 'jobs'>;

const hex = (c: { r: number; g: number; b: number }) =>
  `#${[c.r, c.g, c.b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;

const text = (value: string, language = 'hr') => ({ defaultValue: { language, value } });

/** Google ids: `<issuer id>.<letters, digits, . _ ->`. One class per match. */
export const googleClassId = (issuerId: string, matchId: string) =>
  `${issuerId}.hns-match-${matchId}`;

/** One object per ticket and owner it went to (an old owner's object is voided apart). */
export const googleObjectId = (issuerId: string, ticketId: string, ownerUserId: string) =>
  `${issuerId}.hns-ticket-${ticketId}-${ownerUserId}`;

/** The event ticket class of a match (Google's eventTicketClass resource). */
export function eventTicketClass(issuerId: string, content: PassContent, baseUrl: string) {
  return {
    id: googleClassId(issuerId, content.matchId),
    issuerName: 'Hrvatski nogometni savez',
    reviewStatus: 'UNDER_REVIEW',
    eventId: content.matchId,
    eventName: text(content.title),
    logo: {
      sourceUri: { uri: `${baseUrl.replace(/\/+$/, '')}/wallet/assets/logo@3x.png` },
      contentDescription: text('HNS'),
    },
    ...(content.venue
      ? {
          venue: {
            name: text(content.venue.name),
            address: text([content.venue.address, content.venue.city].filter(Boolean).join(', ')),
          },
        }
      : {}),
    dateTime: { start: content.kickOff.toISOString() },
    hexBackgroundColor: hex(HNS_BLUE),
    ...(content.venue?.latitude != null && content.venue.longitude != null
      ? { locations: [{ latitude: content.venue.latitude, longitude: content.venue.longitude }] }
      : {}),
  };
}

/**
 * The event ticket object of a ticket as `viewerUserId` may see it (Google's
 * eventTicketObject): seat, holder, the app's signed QR; inactive and without QR when the
 * ticket is no longer theirs or no longer valid, without QR when the host's PDF admits.
 */
export function eventTicketObject(issuerId: string, content: PassContent, viewerUserId: string) {
  return {
    id: googleObjectId(issuerId, content.ticketId, viewerUserId),
    classId: googleClassId(issuerId, content.matchId),
    state: content.state.kind === 'VOID' ? 'INACTIVE' : 'ACTIVE',
    ticketHolderName: content.holderName ?? '',
    ticketNumber: content.orderNumber,
    ...(content.seat
      ? {
          seatInfo: {
            section: text(content.seat.sector),
            row: text(content.seat.row),
            seat: text(String(content.seat.seat)),
          },
        }
      : {}),
    ...(content.barcode
      ? {
          barcode: {
            type: 'QR_CODE',
            value: content.barcode,
            alternateText: content.seat
              ? `${content.seat.sector} · ${content.seat.row} · ${content.seat.seat}`
              : content.orderNumber,
          },
        }
      : {}),
    textModulesData: [
      { id: 'kickoff', header: 'Početak (Zagreb)', body: content.kickOffText },
      ...(content.notice ? [{ id: 'notice', header: 'Napomena', body: content.notice }] : []),
    ],
    hexBackgroundColor: hex(HNS_BLUE),
  };
}

/**
 * GET /tickets/{id}/wallet/google (E9-F4): the "save to Google Wallet" link of the owner's
 * ticket — a JWT signed RS256 by the service account carrying the match's class and the
 * ticket's object. Another fan's id answers 404.
 */
export async function getGoogleSaveLink(deps: Deps, userId: string, ticketId: string) {
  const client = await googleWalletOf(deps.config);
  const ticket = await getTicketForWallet(deps, ticketId);
  if (!ticket || ticket.owner_user_id !== userId) throw notFound('Ticket');
  const content = passContent(ticket, userId);
  const cls = eventTicketClass(client.issuerId, content, deps.config.PUBLIC_BASE_URL);
  const obj = eventTicketObject(client.issuerId, content, userId);
  const saveUrl = await client.saveLink({ eventTicketClasses: [cls], eventTicketObjects: [obj] });
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await schedulePassRefresh(deps, trx, content);
    await notePassIssued(trx, { ticketId, wallet: 'google', now });
    await noteGoogleObject(trx, { objectId: obj.id, ticketId, ownerUserId: userId, now });
  });
  return { save_url: saveUrl, class_id: cls.id, object_id: obj.id };
}

/** The PATCH of a saved object: as issued now, and a barcode no longer shown removed. */
export function eventTicketObjectPatch(
  issuerId: string,
  content: PassContent,
  viewerUserId: string,
) {
  const object = eventTicketObject(issuerId, content, viewerUserId);
  // PATCH keeps fields it is not given: null removes a barcode or seat no longer shown.
  return { barcode: null, seatInfo: null, ...object };
}
