import { z } from 'zod';
import type { RouteRegistrar } from '../../api/surface.ts';
import { requireUser } from '../../platform/http/auth.ts';
import { ticketSchema } from './tickets.schemas.ts';
import { getMyTicket, listMyTickets, renderTicketQr } from './tickets.service.ts';
import { transferTicket } from './transfer.service.ts';

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

/**
 * The fan's tickets (E4-F8, E9-F1), each showing what its tier allows (E9-F2). Another
 * fan's ticket answers 404.
 */
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
        summary: "One of the caller's tickets; seat, barcode and QR payload per its tier (E9-F2)",
        params: z.object({ id: z.uuid() }),
        response: { 200: ticketSchema },
      },
    },
    async (request) => getMyTicket(deps, requireUser(request).userId, request.params.id),
  );

  app.get(
    '/tickets/:id/qr',
    {
      config: {
        access: 'authenticated',
        problems: [
          'EXTERNAL_TICKET_REQUIRED',
          'NOT_FOUND',
          'QR_NOT_YET_AVAILABLE',
          'TICKET_NOT_VALID',
        ],
      },
      schema: {
        tags: ['tickets'],
        summary: "The QR code of one of the caller's tickets, as PNG or SVG",
        description:
          'From 5 hours before kick-off (E9-F2); earlier 403 QR_NOT_YET_AVAILABLE with ' +
          '`opens_at`. A cancelled or refunded ticket: 409 TICKET_NOT_VALID.',
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
          'QUOTA_TRANSFER_NOT_ALLOWED',
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
