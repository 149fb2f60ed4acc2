import type { RouteRegistrar } from '../../api/surface.ts';
import { requireUser } from '../../platform/http/auth.ts';
import { SUPPORT_STAFF } from './lookup.routes.ts';
import { printQuery } from './print.schemas.ts';
import { printTicket } from './print.service.ts';
import { ticketParams } from './transfer.schemas.ts';

export const supportPrintAdminRoutes: RouteRegistrar = (app, deps) => {
  app.get(
    '/tickets/:id/print',
    {
      config: {
        access: SUPPORT_STAFF,
        problems: [
          'EXTERNAL_TICKET_REQUIRED',
          'IDENTITY_NOT_VERIFIED',
          'NOT_FOUND',
          'QR_NOT_YET_AVAILABLE',
          'TICKET_NOT_VALID',
        ],
      },
      schema: {
        tags: ['support'],
        summary: 'Print a ticket at the gate as a PDF with an EMERGENCY REPRINT watermark (E10-F4)',
        description:
          'A4 or 80 mm thermal (`layout`), with match, seat, holder, barcode and the signed QR the ' +
          'app shows (a reprint does not change it). Needs the identity checked ' +
          '(`identity_verified=true`, else 422 IDENTITY_NOT_VERIFIED); logged in print_logs. From ' +
          'the second print of a ticket the answer carries `x-print-warning` and the paper says ' +
          'DUPLICATE. Before kick-off − 5 h: 403 QR_NOT_YET_AVAILABLE.',
        params: ticketParams,
        querystring: printQuery,
        produces: ['application/pdf'],
      },
    },
    async (request, reply) => {
      const printed = await printTicket(
        deps,
        requireUser(request).userId,
        request.params.id,
        request.query,
      );
      reply
        .type('application/pdf')
        .header('cache-control', 'private, no-store')
        .header(
          'content-disposition',
          `inline; filename="ticket-${request.params.id}-print-${printed.printNumber}.pdf"`,
        )
        .header('x-print-number', String(printed.printNumber));
      if (printed.warning) reply.header('x-print-warning', printed.warning);
      return reply.send(printed.pdf);
    },
  );
};
