import { z } from 'zod';
import type { RouteRegistrar } from '../../api/surface.ts';
import { requireUser } from '../../platform/http/auth.ts';
import { getMyTicket, listMyTickets, renderTicketQr } from './tickets.service.ts';
import { transferTicket } from './transfer.service.ts';

const ticketSchema = z.object({
  id: z.uuid(),
  order_id: z.uuid(),
  order_number: z.string(),
  match: z.object({
    id: z.uuid(),
    home_team: z.string(),
    away_team: z.string(),
    competition: z.string(),
    kick_off_time: z.string(),
  }),
  seat: z.object({
    sector_code: z.string(),
    sector_name: z.string(),
    row: z.string(),
    seat_number: z.number().int(),
  }),
  status: z.string(),
  barcode: z.string(),
  qr_code_data: z
    .string()
    .nullable()
    .describe('signed payload encoded in the QR code; null when the host PDF admits (E9-F6)'),
  external_ticket_required: z.boolean(),
  external_pdf_url: z.string().nullable(),
  price_amount: z.number().int(),
  fee_amount: z.number().int(),
  transfer_allowed: z.boolean(),
  holder: z
    .object({ full_name: z.string(), is_minor: z.boolean(), oib_masked: z.string().nullable() })
    .nullable(),
  created_at: z.string(),
});

const transferBody = z
  .object({
    full_name: z.string().trim().min(2).max(200),
    oib: z.string().regex(/^\d{11}$/, '11 digits'),
    email: z.email().max(320),
    date_of_birth: z.iso.date(),
    nationality: z.string().regex(/^[A-Za-z]{2}$/, 'ISO 3166-1 alpha-2'),
  })
  .strict();

const transferResult = z.object({
  ticket_id: z.uuid(),
  transfer_id: z.uuid(),
  holder: z.object({ full_name: z.string(), oib_masked: z.string(), is_minor: z.boolean() }),
  transferred_at: z.string(),
});

/** The fan's tickets (E4-F8, E9-F1). Another fan's ticket answers 404. */
export const ticketPublicRoutes: RouteRegistrar = (app, deps) => {
  app.get(
    '/users/me/tickets',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['tickets'],
        summary: "The caller's tickets",
        response: { 200: z.object({ items: z.array(ticketSchema) }) },
      },
    },
    async (request) => listMyTickets(deps, requireUser(request).userId),
  );

  app.get(
    '/tickets/:id',
    {
      config: { access: 'authenticated', problems: ['NOT_FOUND'] },
      schema: {
        tags: ['tickets'],
        summary: "One of the caller's tickets with barcode and QR payload",
        params: z.object({ id: z.uuid() }),
        response: { 200: ticketSchema },
      },
    },
    async (request) => getMyTicket(deps, requireUser(request).userId, request.params.id),
  );

  app.get(
    '/tickets/:id/qr',
    {
      config: { access: 'authenticated', problems: ['EXTERNAL_TICKET_REQUIRED', 'NOT_FOUND'] },
      schema: {
        tags: ['tickets'],
        summary: "The QR code of one of the caller's tickets, as PNG or SVG",
        params: z.object({ id: z.uuid() }),
        querystring: z.object({ format: z.enum(['png', 'svg']).default('png') }),
      },
    },
    async (request, reply) => {
      const qr = await renderTicketQr(
        deps,
        requireUser(request).userId,
        request.params.id,
        request.query.format,
      );
      return reply.type(qr.contentType).header('cache-control', 'private, no-store').send(qr.body);
    },
  );

  app.post(
    '/tickets/:id/transfer',
    {
      config: {
        access: 'authenticated',
        problems: [
          'BLACKLISTED',
          'HOLDER_HAS_TICKET',
          'NOT_FOUND',
          'OIB_INVALID',
          'TICKET_NOT_TRANSFERABLE',
          'TRANSFER_CLOSED',
          'TRANSFER_NOT_ALLOWED',
          'TRANSFER_RECIPIENT_UNKNOWN',
        ],
      },
      schema: {
        tags: ['tickets'],
        summary: "Transfer one of the caller's tickets to a new holder (E9-F5)",
        description:
          'The new holder needs an account with the given email; the ticket moves there with a ' +
          'new barcode and QR (the old ones become invalid). Refused when the ticket may not be ' +
          'transferred (403 TRANSFER_NOT_ALLOWED), from 48 h before kick-off (409 ' +
          'TRANSFER_CLOSED), to a blacklisted OIB (403 BLACKLISTED with the MUP message) or to ' +
          'someone already holding a ticket of the match (409 HOLDER_HAS_TICKET).',
        params: z.object({ id: z.uuid() }),
        body: transferBody,
        response: { 200: transferResult },
      },
    },
    async (request) =>
      transferTicket(deps, requireUser(request).userId, request.params.id, request.body, {
        ip: request.ip,
        userAgent: request.headers['user-agent'] ?? null,
        sessionId: request.user?.sessionId ?? null,
      }),
  );
};
