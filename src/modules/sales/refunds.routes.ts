import type { RouteRegistrar } from '../../api/surface.ts';
import { requireUser } from '../../platform/http/auth.ts';
import {
  adminRefundBody,
  listRefundsQuery,
  listRefundsResponse,
  refundParams,
  refundSchema,
  rejectRefundBody,
} from './refunds.schemas.ts';
import {
  approveRefund,
  listAdminRefunds,
  rejectRefund,
  requestAdminRefund,
  retryRefund,
} from './refunds.service.ts';

/**
 * Staff refunds (E8-F3), under /admin. Support and finance request, list and retry
 * refunds; approving or rejecting one above REFUND_APPROVAL_THRESHOLD is a SUPER_ADMIN's
 * act, never the requester's own.
 */
const STAFF = ['SUPPORT_AGENT', 'SUPPORT_SUPERVISOR', 'FINANCE'] as const;

export const refundAdminRoutes: RouteRegistrar = (app, deps) => {
  app.post(
    '/orders/:id/refund',
    {
      config: {
        access: STAFF,
        problems: [
          'NOT_FOUND',
          'ORDER_NOT_REFUNDABLE',
          'TICKET_NOT_IN_ORDER',
          'TICKET_NOT_REFUNDABLE',
          'REFUND_EXCEEDS_PAYMENT',
        ],
      },
      schema: {
        tags: ['refunds'],
        summary:
          'Refund a paid order or some of its tickets: ticket amount back, fee retained; above the threshold it waits for approval',
        params: refundParams,
        body: adminRefundBody,
        response: { 201: refundSchema },
      },
    },
    async (request, reply) => {
      const refund = await requestAdminRefund(
        deps,
        requireUser(request).userId,
        request.params.id,
        request.body,
      );
      return reply.status(201).send(refund);
    },
  );

  app.get(
    '/refunds',
    {
      config: { access: STAFF },
      schema: {
        tags: ['refunds'],
        summary: 'Refunds, newest first, by status, source, order or match',
        querystring: listRefundsQuery,
        response: { 200: listRefundsResponse },
      },
    },
    async (request) => listAdminRefunds(deps, request.query),
  );

  app.post(
    '/refunds/:id/approve',
    {
      config: {
        access: ['SUPER_ADMIN'],
        problems: [
          'NOT_FOUND',
          'REFUND_STATE_CONFLICT',
          'REFUND_SELF_APPROVAL',
          'TICKET_NOT_REFUNDABLE',
        ],
      },
      schema: {
        tags: ['refunds'],
        summary:
          'Approve a refund waiting for approval: it goes to Stripe, its tickets are refunded',
        params: refundParams,
        response: { 200: refundSchema },
      },
    },
    async (request) => approveRefund(deps, requireUser(request).userId, request.params.id),
  );

  app.post(
    '/refunds/:id/reject',
    {
      config: {
        access: ['SUPER_ADMIN'],
        problems: ['NOT_FOUND', 'REFUND_STATE_CONFLICT', 'REFUND_SELF_APPROVAL'],
      },
      schema: {
        tags: ['refunds'],
        summary: 'Reject a refund waiting for approval: its tickets stay valid',
        params: refundParams,
        body: rejectRefundBody,
        response: { 200: refundSchema },
      },
    },
    async (request) =>
      rejectRefund(deps, requireUser(request).userId, request.params.id, request.body),
  );

  app.post(
    '/refunds/:id/retry',
    {
      config: { access: STAFF, problems: ['NOT_FOUND', 'REFUND_STATE_CONFLICT'] },
      schema: {
        tags: ['refunds'],
        summary: 'Send a FAILED refund to Stripe again (the next attempt)',
        params: refundParams,
        response: { 200: refundSchema },
      },
    },
    async (request) => retryRefund(deps, requireUser(request).userId, request.params.id),
  );
};
