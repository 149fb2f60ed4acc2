import { z } from 'zod';
import type { RouteRegistrar } from '../../api/surface.ts';
import { requireUser } from '../../platform/http/auth.ts';
import { getMyTicket, listMyTickets, renderTicketQr } from './tickets.service.ts';

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
  qr_code_data: z.string().describe('signed payload encoded in the QR code'),
  price_amount: z.number().int(),
  fee_amount: z.number().int(),
  transfer_allowed: z.boolean(),
  holder: z
    .object({ full_name: z.string(), is_minor: z.boolean(), oib_masked: z.string().nullable() })
    .nullable(),
  created_at: z.string(),
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
      config: { access: 'authenticated', problems: ['NOT_FOUND'] },
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
};
