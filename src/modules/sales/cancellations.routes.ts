import type { RouteRegistrar } from '../../api/surface.ts';
import { requireUser } from '../../platform/http/auth.ts';
import {
  cancelTicketsBody,
  cancelTicketsParams,
  cancellationSchema,
} from './cancellations.schemas.ts';
import { cancelTickets } from './cancellations.service.ts';

/** The buyer's self-service cancellation (E9-F8). */
export const cancellationPublicRoutes: RouteRegistrar = (app, deps) => {
  app.post(
    '/orders/:id/cancel-tickets',
    {
      config: {
        access: 'authenticated',
        problems: [
          'NOT_FOUND',
          'ORDER_BUYER_ONLY',
          'ORDER_NOT_REFUNDABLE',
          'CANCELLATION_CLOSED',
          'TICKET_NOT_IN_ORDER',
          'TICKET_NOT_CANCELLABLE',
          'REFUND_EXCEEDS_PAYMENT',
        ],
      },
      schema: {
        tags: ['sales'],
        summary:
          'Cancel tickets of your order up to 48 h before kick-off: price and service fee refunded',
        params: cancelTicketsParams,
        body: cancelTicketsBody,
        response: { 201: cancellationSchema },
      },
    },
    async (request, reply) => {
      const result = await cancelTickets(
        deps,
        requireUser(request).userId,
        request.params.id,
        request.body,
      );
      return reply.status(201).send(result);
    },
  );
};
