import type { RouteRegistrar } from '../../api/surface.ts';
import { requireUser } from '../../platform/http/auth.ts';
import {
  claimHoldersBody,
  claimPaymentBody,
  claimPaymentResponse,
  claimSchema,
  selectSeatsBody,
} from './claims.schemas.ts';
import { payClaim, selectSeats, submitClaimHolders } from './claims.service.ts';
import { quotaIdParams } from './quotas.schemas.ts';

/** Claiming a quota (E7-F5): select seats → ticket holders → payment. */
export const quotaClaimRoutes: RouteRegistrar = (app, deps) => {
  app.post(
    '/quotas/:id/select-seats',
    {
      config: {
        access: ['QUOTA_HOLDER'],
        problems: [
          'NOT_FOUND',
          'QUOTA_CLOSED',
          'QUOTA_SEAT_UNAVAILABLE',
          'QUOTA_SEATS_INSUFFICIENT',
          'QUOTA_CLAIM_NOT_PAYABLE',
        ],
      },
      schema: {
        summary:
          'Step 1: take seats from your quota (or a sub-quota passed on to you) into a claim',
        description:
          'Numbered (REDOM) quotas pick quota_seat_ids from the dashboard; NM quotas give a quantity. The claim lasts 20 minutes (at most until the quota deadline); an abandoned claim gives its seats back to the quota, never to public sale. A new selection replaces your claim not yet in payment.',
        params: quotaIdParams,
        body: selectSeatsBody,
        response: { 201: claimSchema },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(
          await selectSeats(deps, requireUser(request).userId, request.params.id, request.body),
        ),
  );

  app.post(
    '/quotas/:id/ticket-holders',
    {
      config: {
        access: ['QUOTA_HOLDER'],
        problems: [
          'NOT_FOUND',
          'QUOTA_CLAIM_EXPIRED',
          'QUOTA_CLAIM_NOT_PAYABLE',
          'HOLDERS_MISMATCH',
          'OIB_INVALID',
          'PROFILE_NOT_FOUND',
          'BLACKLISTED',
          'HOLDER_HAS_TICKET',
        ],
      },
      schema: {
        summary:
          'Step 2: name one ticket holder per seat; the claim is priced with the quota discount',
        description:
          'Holder rules as at checkout (OIB checksum, OIB for Croatians, an OIB or passport for everyone, nobody twice), any person may be named (your own profile at most once), the blacklist is checked as at checkout and a person may hold one valid ticket per match. The seats stay RESERVED.',
        params: quotaIdParams,
        body: claimHoldersBody,
        response: { 200: claimSchema },
      },
    },
    async (request) => {
      const user = requireUser(request);
      return submitClaimHolders(deps, user.userId, request.params.id, request.body, {
        ip: request.ip,
        userAgent: request.headers['user-agent'] ?? null,
        sessionId: user.sessionId ?? null,
      });
    },
  );

  app.post(
    '/quotas/:id/payment',
    {
      config: {
        access: ['QUOTA_HOLDER'],
        problems: [
          'NOT_FOUND',
          'QUOTA_CLAIM_EXPIRED',
          'QUOTA_CLAIM_NOT_PAYABLE',
          'PAYMENT_PROVIDER_ERROR',
          'CART_EXPIRED',
        ],
      },
      schema: {
        summary: 'Step 3: pay the claim (Stripe), or complete it when free or deferred',
        description:
          'discount_percent = 100: no payment, the tickets are issued now (COMPLETED, FREE). deferred_payment: the claim becomes DEFERRED, keeps its seats without expiry and waits for the payment offer of invoicing. Otherwise a Stripe PaymentIntent for the discounted total (same path and settlement as the shop); the tickets are issued when Stripe confirms.',
        params: quotaIdParams,
        body: claimPaymentBody,
        response: { 200: claimPaymentResponse },
      },
    },
    async (request) => payClaim(deps, requireUser(request).userId, request.params.id, request.body),
  );
};
