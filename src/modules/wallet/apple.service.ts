import { PKPass } from 'passkit-generator';
import type { AppDeps } from '../../deps.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { getTicketForWallet } from '../tickets/tickets.service.ts';
import { deleteRegistration, listUpdatedSerials, upsertRegistration } from './apple.repo.ts';
import { passAssets, HNS_BLUE } from './branding.ts';
import { passContent, type PassContent } from './pass-content.ts';
import { appleSigning, type AppleSigning } from './wallet-clients.ts';
import { findPass, notePassIssued } from './wallet-passes.repo.ts';
import { passAuthToken, passTokenOwner } from './wallet.rules.ts';
import { schedulePassRefresh } from './pass-schedule.ts';

type Deps = Pick<AppDeps, 'db' | 'config' | 'clock' | 'logger' | 'jobs'>;

const rgb = (c: { r: number; g: number; b: number }) => `rgb(${c.r}, ${c.g}, ${c.b})`;

/**
 * The signed .pkpass of a ticket (E9-F4): an event ticket with the match, kick-off in Zagreb
 * time, stadium, sector/row/seat and holder, the app's signed QR payload, kick-off as the
 * relevant date and the stadium as the location (lock-screen), HNS branding, and the pass
 * web service with this owner's authentication token. Signed (PKCS#7, detached, over
 * manifest.json) with the pass type certificate and key, chained to the WWDR intermediate.
 */
export function buildPkpass(
  signing: AppleSigning,
  content: PassContent,
  ownerUserId: string,
): Buffer {
  const pass = new PKPass(
    {
      ...passAssets(),
      'pass.json': Buffer.from(JSON.stringify({ formatVersion: 1, eventTicket: {} })),
    },
    {
      wwdr: signing.wwdr,
      signerCert: signing.signerCert,
      signerKey: signing.signerKey,
      ...(signing.signerKeyPassphrase ? { signerKeyPassphrase: signing.signerKeyPassphrase } : {}),
    },
    {
      serialNumber: content.ticketId,
      passTypeIdentifier: signing.passTypeIdentifier,
      teamIdentifier: signing.teamIdentifier,
      organizationName: 'Hrvatski nogometni savez',
      description: `Ulaznica: ${content.title}`,
      logoText: 'HNS',
      backgroundColor: rgb(HNS_BLUE),
      foregroundColor: 'rgb(255, 255, 255)',
      labelColor: 'rgb(255, 200, 210)',
      webServiceURL: signing.webServiceURL,
      authenticationToken: passAuthToken(signing.authSecret, content.ticketId, ownerUserId),
      groupingIdentifier: content.matchId,
      sharingProhibited: true,
      ...(content.state.kind === 'VOID' ? { voided: true } : {}),
    },
  );
  pass.type = 'eventTicket';
  pass.headerFields.push({ key: 'kickoff', label: 'POČETAK', value: content.kickOffText });
  pass.primaryFields.push({ key: 'match', label: content.competition, value: content.title });
  if (content.seat) {
    pass.secondaryFields.push(
      { key: 'sector', label: 'SEKTOR', value: content.seat.sector },
      { key: 'row', label: 'RED', value: content.seat.row },
      { key: 'seat', label: 'SJEDALO', value: String(content.seat.seat) },
    );
  }
  pass.auxiliaryFields.push(
    { key: 'holder', label: 'IME', value: content.holderName ?? '—' },
    ...(content.venue
      ? [{ key: 'venue', label: 'STADION', value: `${content.venue.name}, ${content.venue.city}` }]
      : []),
  );
  pass.backFields.push(
    { key: 'order', label: 'Narudžba', value: content.orderNumber },
    { key: 'ticket', label: 'Ulaznica', value: content.ticketId },
    ...(content.notice ? [{ key: 'notice', label: 'Napomena', value: content.notice }] : []),
  );
  if (content.notice) {
    pass.auxiliaryFields.push({ key: 'status', label: 'STATUS', value: content.notice });
  }
  if (content.barcode) {
    pass.setBarcodes({
      message: content.barcode,
      format: 'PKBarcodeFormatQR',
      messageEncoding: 'iso-8859-1',
      ...(content.seat
        ? { altText: `${content.seat.sector} · ${content.seat.row} · ${content.seat.seat}` }
        : {}),
    });
  }
  pass.setRelevantDate(content.kickOff);
  if (content.venue?.latitude != null && content.venue.longitude != null) {
    pass.setLocations({
      latitude: content.venue.latitude,
      longitude: content.venue.longitude,
      relevantText: `${content.title} — ${content.venue.name}`,
    });
  }
  return pass.getAsBuffer();
}

/** GET /tickets/{id}/wallet/apple: the owner's pass; anyone else's id answers 404. */
export async function getApplePass(deps: Deps, userId: string, ticketId: string) {
  const signing = appleSigning(deps.config);
  const ticket = await getTicketForWallet(deps, ticketId);
  if (!ticket || ticket.owner_user_id !== userId) throw notFound('Ticket');
  const content = passContent(ticket, userId);
  const updatedAt = await deps.db.transaction().execute(async (trx) => {
    await schedulePassRefresh(deps, trx, content);
    return notePassIssued(trx, { ticketId, wallet: 'apple', now: deps.clock.now() });
  });
  return { body: buildPkpass(signing, content, userId), updatedAt };
}

// The pass web service (Apple's "Wallet web service" protocol) ---------------------------

function authenticate(
  signing: AppleSigning,
  passType: string,
  ticketId: string,
  header: string | undefined,
) {
  const token = header?.startsWith('ApplePass ') ? header.slice('ApplePass '.length) : undefined;
  const owner =
    token && passType === signing.passTypeIdentifier
      ? passTokenOwner(signing.authSecret, ticketId, token)
      : undefined;
  if (!owner) throw new AppError('WALLET_PASS_AUTH_INVALID');
  return owner;
}

/** POST …/devices/{device}/registrations/{passType}/{serial}: 201 new, 200 known. */
export async function registerDevice(
  deps: Deps,
  input: {
    device: string;
    passType: string;
    ticketId: string;
    pushToken: string;
    authorization?: string;
  },
): Promise<'created' | 'exists'> {
  const signing = appleSigning(deps.config);
  authenticate(signing, input.passType, input.ticketId, input.authorization);
  if (!(await findPass(deps.db, input.ticketId))) throw notFound('Pass');
  const created = await upsertRegistration(deps.db, { ...input, now: deps.clock.now() });
  return created ? 'created' : 'exists';
}

/** DELETE …/devices/{device}/registrations/{passType}/{serial}. */
export async function unregisterDevice(
  deps: Deps,
  input: { device: string; passType: string; ticketId: string; authorization?: string },
): Promise<void> {
  const signing = appleSigning(deps.config);
  authenticate(signing, input.passType, input.ticketId, input.authorization);
  await deleteRegistration(deps.db, input);
}

/**
 * GET …/devices/{device}/registrations/{passType}?passesUpdatedSince=tag: the serial
 * numbers of this device's passes that changed since the tag (the `lastUpdated` of the
 * previous answer: milliseconds of the latest change); undefined (204) when none did.
 */
export async function updatedSerials(
  deps: Deps,
  input: { device: string; passType: string; since?: string },
) {
  const sinceMs = input.since && /^\d{1,15}$/.test(input.since) ? Number(input.since) : null;
  const rows = await listUpdatedSerials(deps.db, {
    device: input.device,
    passType: input.passType,
    since: sinceMs === null ? null : new Date(sinceMs),
  });
  if (rows.length === 0) return undefined;
  return {
    serialNumbers: rows.map((r) => r.ticket_id),
    lastUpdated: String(Math.max(...rows.map((r) => r.updated_at.getTime()))),
  };
}

/**
 * GET …/passes/{passType}/{serial}: the latest pass for the owner its token was issued to.
 * A ticket that moved to someone else comes back voided, without QR or the new holder.
 * undefined: not modified since `If-Modified-Since`.
 */
export async function latestPass(
  deps: Deps,
  input: { passType: string; ticketId: string; authorization?: string; ifModifiedSince?: string },
) {
  const signing = appleSigning(deps.config);
  const owner = authenticate(signing, input.passType, input.ticketId, input.authorization);
  const [ticket, pass] = await Promise.all([
    getTicketForWallet(deps, input.ticketId),
    findPass(deps.db, input.ticketId),
  ]);
  if (!ticket || !pass) throw notFound('Pass');
  // HTTP dates have whole seconds.
  const modified = new Date(Math.floor(pass.updated_at.getTime() / 1000) * 1000);
  const since = input.ifModifiedSince ? Date.parse(input.ifModifiedSince) : NaN;
  if (!Number.isNaN(since) && modified.getTime() <= since) return undefined;
  return { body: buildPkpass(signing, passContent(ticket, owner), owner), updatedAt: modified };
}

/** POST …/log: devices report problems with our passes; they go to our log. */
export function logFromDevices(deps: Deps, logs: readonly string[]) {
  for (const line of logs.slice(0, 100)) {
    deps.logger.warn(
      { wallet: 'apple', device_log: line.slice(0, 1000) },
      'apple wallet device log',
    );
  }
}
