import type { RouteRegistrar } from '../../api/surface.ts';
import { requireUser } from '../../platform/http/auth.ts';
import { SUPPORT_STAFF } from './lookup.routes.ts';
import { supportTransferBody, supportTransferResponse, ticketParams } from './transfer.schemas.ts';
import { supportTransfer } from './transfer.service.ts';

export const supportTransferAdminRoutes: RouteRegistrar = (app, deps) => {
  app.post(
    '/tickets/:id/transfer',
    {
      config: {
        access: SUPPORT_STAFF,
        problems: [
          'BLACKLISTED',
          'CONFLICT',
          'HOLDER_HAS_TICKET',
          'NOT_FOUND',
          'OIB_INVALID',
          'REQUESTER_NOT_OWNER',
          'SUPPORT_TRANSFER_CLOSED',
          'TICKET_NOT_TRANSFERABLE',
          'TRANSFER_NOT_ALLOWED',
          'TRANSFER_RECIPIENT_UNKNOWN',
        ],
      },
      schema: {
        tags: ['support'],
        summary: 'Transfer a ticket to a new holder for its owner or holder (E10-F2)',
        description:
          'The requester (name and email or phone) must be the ticket’s owner or holder (403 ' +
          'REQUESTER_NOT_OWNER). As the self-service transfer: new barcode and QR, the new holder ' +
          'needs an account, a blacklisted OIB is refused with the MUP message (403 BLACKLISTED). ' +
          'From 48 h before kick-off: 400 SUPPORT_TRANSFER_CLOSED with the policy message.',
        params: ticketParams,
        body: supportTransferBody,
        response: { 200: supportTransferResponse },
      },
    },
    async (request) =>
      supportTransfer(deps, requireUser(request).userId, request.params.id, request.body, {
        ip: request.ip,
        userAgent: request.headers['user-agent'] ?? null,
        sessionId: request.user?.sessionId ?? null,
      }),
  );
};
