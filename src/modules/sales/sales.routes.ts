import { z } from 'zod';
import type { RouteRegistrar } from '../../api/surface.ts';
import { requireUser } from '../../platform/http/auth.ts';
import { startPayment, submitTicketHolders, type HolderInput } from './checkout.service.ts';
import { getMyOrder, listMyOrders } from './orders.service.ts';
import * as s from './sales.schemas.ts';
import { addToCart, clearCarts, getCarts, getZones, listMatches } from './sales.service.ts';

/** Purchase flow on the public surface (E4-F1 … E4-F7). */
export const salesPublicRoutes: RouteRegistrar = (app, deps) => {
  app.get(
    '/matches',
    {
      config: { access: 'public' },
      schema: {
        tags: ['sales'],
        summary: 'Upcoming matches by kick-off, with sale status and price preview (E4-F1)',
        querystring: s.pageQuery,
        response: { 200: s.matchListResponse },
      },
    },
    async (request) => listMatches(deps, request.query.page, request.query.limit),
  );

  app.get(
    '/matches/:id/zones',
    {
      config: { access: 'public', problems: ['NOT_FOUND'] },
      schema: {
        tags: ['sales'],
        summary:
          'Zones with availability, current price and the quantity the caller may pick (E4-F2)',
        params: z.object({ id: z.uuid() }),
        response: { 200: s.zonesResponse },
      },
    },
    async (request) => getZones(deps, request.params.id, request.user?.userId ?? null),
  );

  app.post(
    '/cart/add',
    {
      config: {
        access: 'authenticated',
        problems: [
          'CONFLICT',
          'IDEMPOTENCY_KEY_REUSED',
          'LOYALTY_NOT_ELIGIBLE',
          'MATCH_CANCELLED',
          'MATCH_NOT_ON_SALE',
          'NOT_FOUND',
          'PURCHASE_LIMIT_EXCEEDED',
          'QUEUE_ADMISSION_REQUIRED',
          'SEATS_INSUFFICIENT',
        ],
        // With an Idempotency-Key a second run finds the first one's seats on the cart.
        idempotent: (request) => typeof request.headers['idempotency-key'] === 'string',
      },
      schema: {
        tags: ['sales'],
        summary: 'Assign adjacent seats in a zone and hold them for 20 minutes (E4-F3, E4-F4)',
        description:
          '409 SEATS_INSUFFICIENT, 409 PURCHASE_LIMIT_EXCEEDED (4 per match across phases; in ' +
          "a LOYALTY phase the fan's tier limit), 403 LOYALTY_NOT_ELIGIBLE in a LOYALTY phase " +
          'when the 5-year points balance reaches no tier, 403 QUEUE_ADMISSION_REQUIRED for a ' +
          'queued sale before the fan is admitted. ' +
          '`warnings` says when the seats could not be adjacent. ' +
          'Honours `Idempotency-Key`: sent again with the same key (after an answer that was ' +
          'lost, or a 503), the addition answers the seats it already holds instead of adding ' +
          'more; the same key with another zone or quantity is 422 IDEMPOTENCY_KEY_REUSED. ' +
          "Only the cart's latest keyed addition is remembered.",
        headers: s.idempotencyHeaders,
        body: s.addToCartBody,
        response: { 200: s.addToCartResponse },
      },
    },
    async (request) =>
      addToCart(
        deps,
        requireUser(request).userId,
        request.body,
        request.headers['idempotency-key'] ?? null,
      ),
  );

  app.get(
    '/cart',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['sales'],
        summary: "The caller's live carts: seats, totals and remaining seconds",
        response: { 200: s.cartsResponse },
      },
    },
    async (request) => getCarts(deps, requireUser(request).userId),
  );

  app.delete(
    '/cart',
    {
      // Emptying an empty cart changes nothing: safe to run again after a lost connection.
      config: { access: 'authenticated', idempotent: true },
      schema: {
        tags: ['sales'],
        summary: 'Empty the cart (of one match, or all) and release its seats',
        description:
          'Also abandons the open order of the cart, including one whose payment has started: ' +
          'its seats are released and its Stripe PaymentIntent is cancelled.',
        querystring: s.clearCartQuery,
        response: { 200: s.clearCartResponse },
      },
    },
    async (request) => clearCarts(deps, requireUser(request).userId, request.query.match_id),
  );

  app.post(
    '/checkout/ticket-holders',
    {
      config: {
        access: 'authenticated',
        problems: [
          'BLACKLISTED',
          'CART_EXPIRED',
          'HOLDERS_MISMATCH',
          'HOLDER_LOCKED',
          'NOT_FOUND',
          'OIB_INVALID',
          'ORDER_NOT_PAYABLE',
          'PROFILE_NOT_FOUND',
        ],
      },
      schema: {
        tags: ['sales'],
        summary: 'Name one holder per seat; creates the PENDING order (E4-F5, E4-F6)',
        description:
          "The first holder is always the buyer's default profile (400 HOLDER_LOCKED otherwise). " +
          'Every OIB is checked against the blacklist: 403 BLACKLISTED with the MUP message.',
        body: s.ticketHoldersBody,
        response: { 200: s.orderSchema },
      },
    },
    async (request) =>
      submitTicketHolders(
        deps,
        requireUser(request).userId,
        { cart_id: request.body.cart_id, holders: request.body.holders as HolderInput[] },
        {
          ip: request.ip,
          userAgent: request.headers['user-agent'] ?? null,
          sessionId: request.user?.sessionId ?? null,
        },
      ),
  );

  app.post(
    '/checkout/pay',
    {
      config: {
        access: 'authenticated',
        problems: [
          'CART_EXPIRED',
          'HOLDERS_MISMATCH',
          'IDEMPOTENCY_KEY_REUSED',
          'MATCH_CANCELLED',
          'NOT_FOUND',
          'ORDER_NOT_PAYABLE',
          'PAYMENT_PROVIDER_ERROR',
        ],
        // With an Idempotency-Key a second run finds the first one's payment.
        idempotent: (request) => typeof request.headers['idempotency-key'] === 'string',
      },
      schema: {
        tags: ['sales'],
        summary: 'Start paying an order: Stripe PaymentIntent and its client secret (E4-F7)',
        description:
          'Honours `Idempotency-Key`. The order completes when Stripe confirms the payment ' +
          '(webhook); the seats stay held for the payment window.',
        headers: s.idempotencyHeaders,
        body: s.payBody,
        response: { 200: s.payResponse },
      },
    },
    async (request) =>
      startPayment(
        deps,
        requireUser(request).userId,
        request.body.order_id,
        request.headers['idempotency-key'] ?? null,
      ),
  );

  app.get(
    '/orders',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['sales'],
        summary: "The caller's orders, newest first: status, totals, match and ticket ids",
        querystring: s.pageQuery,
        response: { 200: s.ordersResponse },
      },
    },
    async (request) =>
      listMyOrders(deps, requireUser(request).userId, request.query.page, request.query.limit),
  );

  app.get(
    '/orders/:id',
    {
      config: { access: 'authenticated', problems: ['NOT_FOUND', 'ORDER_BUYER_ONLY'] },
      schema: {
        tags: ['sales'],
        summary: "One of the caller's orders: lines, tickets with status, payment, refunds (E9-F7)",
        description:
          'Only the buyer sees the order. 403 ORDER_BUYER_ONLY for someone who owns or is the ' +
          'named holder of one of its tickets without being the buyer; 404 NOT_FOUND for an ' +
          "unknown id and for anyone else's order alike. Seats follow the tickets' tiers (E9-F2).",
        params: s.orderIdParams,
        response: { 200: s.orderDetailResponse },
      },
    },
    async (request) => getMyOrder(deps, requireUser(request).userId, request.params.id),
  );
};
