import type { RouteRegistrar } from '../../api/surface.ts';
import { requireUser } from '../../platform/http/auth.ts';
import { refundSchema } from '../sales/refunds.schemas.ts';
import { SUPPORT_STAFF } from './lookup.routes.ts';
import {
  idParams,
  refundRequestBody,
  refundRequestResponse,
  rejectBody,
} from './refund-requests.schemas.ts';
import {
  approveSupportRefund,
  rejectSupportRefund,
  requestSupportRefund,
} from './refund-requests.service.ts';

export const supportRefundAdminRoutes: RouteRegistrar = (app, deps) => {
  app.post(
    '/orders/:id/refund-request',
    {
      config: {
        access: SUPPORT_STAFF,
        problems: [
          'NOT_FOUND',
          'ORDER_NOT_REFUNDABLE',
          'REFUND_EXCEEDS_PAYMENT',
          'REFUND_REASON_REQUIRED',
          'REQUESTER_NOT_OWNER',
          'TICKET_NOT_IN_ORDER',
          'TICKET_NOT_REFUNDABLE',
        ],
      },
      schema: {
        tags: ['support'],
        summary: 'Request a refund for the buyer who called the desk (E10-F3)',
        description:
          'The requester must be the buyer (name and email or phone; 403 REQUESTER_NOT_OWNER). ' +
          '48 h or more before kick-off: processed at once, no reason needed. Less than 48 h: a ' +
          'reason is required (400 REFUND_REASON_REQUIRED) and above the approval threshold ' +
          'the refund waits (PENDING_APPROVAL) for a SUPPORT_SUPERVISOR.',
        params: idParams,
        body: refundRequestBody,
        response: { 201: refundRequestResponse },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(
          await requestSupportRefund(
            deps,
            requireUser(request).userId,
            request.params.id,
            request.body,
          ),
        ),
  );

  app.post(
    '/refund-requests/:id/approve',
    {
      config: {
        access: ['SUPPORT_SUPERVISOR'],
        problems: [
          'NOT_A_SUPPORT_REFUND',
          'REFUND_SELF_APPROVAL',
          'REFUND_STATE_CONFLICT',
          'TICKET_NOT_REFUNDABLE',
        ],
      },
      schema: {
        tags: ['support'],
        summary: 'Approve a support refund request waiting for a supervisor (E10-F3)',
        params: idParams,
        response: { 200: refundSchema },
      },
    },
    async (request) => approveSupportRefund(deps, requireUser(request).userId, request.params.id),
  );

  app.post(
    '/refund-requests/:id/reject',
    {
      config: {
        access: ['SUPPORT_SUPERVISOR'],
        problems: ['NOT_A_SUPPORT_REFUND', 'REFUND_SELF_APPROVAL', 'REFUND_STATE_CONFLICT'],
      },
      schema: {
        tags: ['support'],
        summary: 'Reject a support refund request waiting for a supervisor: tickets stay valid',
        params: idParams,
        body: rejectBody,
        response: { 200: refundSchema },
      },
    },
    async (request) =>
      rejectSupportRefund(deps, requireUser(request).userId, request.params.id, request.body),
  );
};
