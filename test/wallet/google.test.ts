import { freshToken } from '../factories/users.ts';
import { importSPKI, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { useWalletWorld } from '../harness/wallet.ts';
import { createFan, useStripeTestContext } from '../sales/helpers.ts';
import { atQrTime, buyTickets } from './helpers.ts';

const wallet = await useWalletWorld();
const { t, stripe } = await useStripeTestContext({ env: wallet.env });

// Google's eventTicketClass / eventTicketObject resources (Wallet API v1 reference): the
// documented field names, and the shapes of the fields we fill.
const CLASS_FIELDS = [
  'kind',
  'eventName',
  'eventId',
  'logo',
  'venue',
  'dateTime',
  'confirmationCodeLabel',
  'customConfirmationCodeLabel',
  'seatLabel',
  'customSeatLabel',
  'rowLabel',
  'customRowLabel',
  'sectionLabel',
  'customSectionLabel',
  'gateLabel',
  'customGateLabel',
  'finePrint',
  'classTemplateInfo',
  'id',
  'version',
  'issuerName',
  'messages',
  'allowMultipleUsersPerObject',
  'homepageUri',
  'locations',
  'reviewStatus',
  'review',
  'infoModuleData',
  'imageModulesData',
  'textModulesData',
  'linksModuleData',
  'redemptionIssuers',
  'countryCode',
  'heroImage',
  'wordMark',
  'enableSmartTap',
  'hexBackgroundColor',
  'localizedIssuerName',
  'multipleDevicesAndHoldersAllowedStatus',
  'callbackOptions',
  'securityAnimation',
  'viewUnlockRequirement',
  'wideLogo',
  'notifyPreference',
  'appLinkData',
  'valueAddedModuleData',
  'merchantLocations',
];
const OBJECT_FIELDS = [
  'kind',
  'classReference',
  'seatInfo',
  'reservationInfo',
  'ticketHolderName',
  'ticketNumber',
  'ticketType',
  'faceValue',
  'groupingInfo',
  'linkedOfferIds',
  'hexBackgroundColor',
  'id',
  'classId',
  'version',
  'state',
  'barcode',
  'messages',
  'validTimeInterval',
  'locations',
  'hasUsers',
  'smartTapRedemptionValue',
  'hasLinkedDevice',
  'disableExpirationNotification',
  'infoModuleData',
  'imageModulesData',
  'textModulesData',
  'linksModuleData',
  'appLinkData',
  'rotatingBarcode',
  'heroImage',
  'passConstraints',
  'saveRestrictions',
  'linkedObjectIds',
  'notifyPreference',
  'valueAddedModuleData',
  'merchantLocations',
];
const localized = z.object({
  defaultValue: z.object({ language: z.string().min(2), value: z.string().min(1) }).strict(),
});
const resourceId = (issuer: string) =>
  z.string().regex(new RegExp(`^${issuer}\\.[A-Za-z0-9._-]+$`));
const hexColor = z.string().regex(/^#[0-9a-f]{6}$/);
const classSchema = (issuer: string) =>
  z.object({
    id: resourceId(issuer),
    issuerName: z.string().min(1),
    reviewStatus: z.enum([
      'REVIEW_STATUS_UNSPECIFIED',
      'UNDER_REVIEW',
      'APPROVED',
      'REJECTED',
      'DRAFT',
    ]),
    eventId: z.string().max(64),
    eventName: localized,
    logo: z.object({ sourceUri: z.object({ uri: z.url() }), contentDescription: localized }),
    venue: z.object({ name: localized, address: localized }).strict(),
    dateTime: z.object({ start: z.iso.datetime() }).strict(),
    hexBackgroundColor: hexColor,
    locations: z
      .array(z.object({ latitude: z.number(), longitude: z.number() }).strict())
      .optional(),
  });
const objectSchema = (issuer: string) =>
  z.object({
    id: resourceId(issuer),
    classId: resourceId(issuer),
    state: z.enum(['STATE_UNSPECIFIED', 'ACTIVE', 'COMPLETED', 'EXPIRED', 'INACTIVE']),
    ticketHolderName: z.string(),
    ticketNumber: z.string(),
    seatInfo: z.object({ section: localized, row: localized, seat: localized }).strict(),
    barcode: z
      .object({ type: z.literal('QR_CODE'), value: z.string(), alternateText: z.string() })
      .strict()
      .optional(),
    textModulesData: z.array(
      z.object({ id: z.string(), header: z.string(), body: z.string() }).strict(),
    ),
    hexBackgroundColor: hexColor,
  });

describe('Google Wallet save link (E9-F4)', () => {
  it('is a JWT signed RS256 by the service account with the match class and the ticket object', async () => {
    const { fan, ticket, sale } = await buyTickets(t, stripe);
    const venue = await t.deps.db
      .selectFrom('matches')
      .select('venue_id')
      .where('id', '=', sale.matchId)
      .executeTakeFirstOrThrow();
    await t.deps.db
      .updateTable('stadiums')
      .set({ latitude: 45.8189, longitude: 16.0181 })
      .where('id', '=', venue.venue_id!)
      .execute();
    const { res, mine } = await atQrTime(t, ticket, async () => ({
      res: await t.request({
        method: 'GET',
        url: `/tickets/${ticket.id}/wallet/google`,
        token: await freshToken(t.deps, fan),
      }),
      mine: (
        await t.request({
          method: 'GET',
          url: `/tickets/${ticket.id}`,
          token: await freshToken(t.deps, fan),
        })
      ).json(),
    }));
    expect(res.statusCode).toBe(200);
    const body = res.json() as { save_url: string; class_id: string; object_id: string };
    expect(body.save_url.startsWith('https://pay.google.com/gp/v/save/')).toBe(true);
    const jwt = body.save_url.slice('https://pay.google.com/gp/v/save/'.length);

    const key = await importSPKI(wallet.google.publicKeyPem, 'RS256');
    const { payload, protectedHeader } = await jwtVerify(jwt, key, {
      issuer: wallet.google.clientEmail,
      audience: 'google',
      algorithms: ['RS256'],
    });
    expect(protectedHeader).toMatchObject({ alg: 'RS256', kid: 'wallet-key-1' });
    expect(payload.typ).toBe('savetowallet');
    const { eventTicketClasses, eventTicketObjects } = payload.payload as {
      eventTicketClasses: Array<Record<string, unknown>>;
      eventTicketObjects: Array<Record<string, unknown>>;
    };
    expect(eventTicketClasses).toHaveLength(1);
    expect(eventTicketObjects).toHaveLength(1);
    const [cls] = eventTicketClasses;
    const [obj] = eventTicketObjects;
    for (const k of Object.keys(cls!)) expect(CLASS_FIELDS, `class field ${k}`).toContain(k);
    for (const k of Object.keys(obj!)) expect(OBJECT_FIELDS, `object field ${k}`).toContain(k);
    const issuer = wallet.google.issuerId;
    const c = classSchema(issuer).parse(cls);
    const o = objectSchema(issuer).parse(obj);

    expect(c).toMatchObject({
      id: body.class_id,
      eventId: sale.matchId,
      eventName: {
        defaultValue: { value: `${ticket.match.home_team} – ${ticket.match.away_team}` },
      },
      dateTime: { start: new Date(ticket.match.kick_off_time).toISOString() },
      locations: [{ latitude: 45.8189, longitude: 16.0181 }],
    });
    expect(o).toMatchObject({
      id: body.object_id,
      classId: body.class_id,
      state: 'ACTIVE',
      ticketHolderName: mine.holder.full_name,
      seatInfo: {
        section: { defaultValue: { value: ticket.seat.sector_code } },
        row: { defaultValue: { value: ticket.seat.row } },
        seat: { defaultValue: { value: String(ticket.seat.seat_number) } },
      },
      barcode: { type: 'QR_CODE', value: mine.qr_code_data },
    });
    // the object is recorded for later updates through the REST API
    const rows = await t.deps.db
      .selectFrom('google_wallet_objects')
      .selectAll()
      .where('ticket_id', '=', ticket.id)
      .execute();
    expect(rows).toMatchObject([{ object_id: body.object_id, owner_user_id: fan.id }]);
    // one class per match: a second ticket of the same match names the same class
    const logo = await t.request({ method: 'GET', url: '/wallet/assets/logo@3x.png' });
    expect(logo.statusCode).toBe(200);
    expect(logo.headers['content-type']).toBe('image/png');
  });

  it('gives one class per match and one object per ticket', async () => {
    const { fan, tickets } = await buyTickets(t, stripe, { count: 2 });
    const links = await Promise.all(
      tickets.map(async (x) =>
        (
          await t.request({
            method: 'GET',
            url: `/tickets/${x.id}/wallet/google`,
            token: await freshToken(t.deps, fan),
          })
        ).json(),
      ),
    );
    expect(links[0].class_id).toBe(links[1].class_id);
    expect(links[0].object_id).not.toBe(links[1].object_id);
  });

  it("answers 404 for another fan's ticket", async () => {
    const { ticket } = await buyTickets(t, stripe);
    const stranger = await createFan(t.deps);
    const res = await t.request({
      method: 'GET',
      url: `/tickets/${ticket.id}/wallet/google`,
      token: await freshToken(t.deps, stranger),
    });
    expect(res.statusCode).toBe(404);
  });
});
