import { z } from 'zod';
import type { RouteRegistrar } from '../../api/surface.ts';
import { requireUser } from '../../platform/http/auth.ts';
import {
  createOfferBody,
  listOffersQuery,
  listOffersResponse,
  offerSchema,
} from './payment-offers.schemas.ts';
import {
  cancelOffer,
  createOffer,
  getOffer,
  listOffers,
  markOfferPaid,
  sendOffer,
} from './payment-offers.service.ts';

/** Payment offers (E8-F4) are finance's (FINANCE; SUPER_ADMIN passes every check). */
const access = ['FINANCE'] as const;
const params = z.object({ id: z.uuid() });

export const paymentOfferAdminRoutes: RouteRegistrar = (app, deps) => {
  app.post(
    '/payment-offers',
    {
      config: { access, problems: ['NOT_FOUND', 'ORDERS_NOT_OFFERABLE', 'ERACUNI_REJECTED'] },
      schema: {
        summary:
          "Group a debtor's unpaid orders into one e-računi payment offer with the debtor's terms (E8-F4)",
        body: createOfferBody,
        response: { 201: offerSchema },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createOffer(deps, requireUser(request).userId, request.body)),
  );
  app.get(
    '/payment-offers',
    {
      config: { access },
      schema: {
        summary: 'List payment offers',
        querystring: listOffersQuery,
        response: { 200: listOffersResponse },
      },
    },
    async (request) => listOffers(deps, request.query),
  );
  app.get(
    '/payment-offers/:id',
    {
      config: { access, problems: ['NOT_FOUND'] },
      schema: { summary: 'A payment offer', params, response: { 200: offerSchema } },
    },
    async (request) => getOffer(deps, request.params.id),
  );
  app.post(
    '/payment-offers/:id/send',
    {
      config: { access, problems: ['NOT_FOUND', 'OFFER_STATUS_CONFLICT', 'ERACUNI_REJECTED'] },
      schema: {
        summary: 'Send a DRAFT offer to e-računi again',
        params,
        response: { 200: offerSchema },
      },
    },
    async (request) => sendOffer(deps, requireUser(request).userId, request.params.id),
  );
  app.post(
    '/payment-offers/:id/paid',
    {
      config: { access, problems: ['NOT_FOUND', 'OFFER_STATUS_CONFLICT'] },
      schema: {
        summary: 'Mark an offer PAID: its orders are invoiced',
        params,
        response: { 200: offerSchema },
      },
    },
    async (request) => markOfferPaid(deps, requireUser(request).userId, request.params.id),
  );
  app.post(
    '/payment-offers/:id/cancel',
    {
      config: { access, problems: ['NOT_FOUND', 'OFFER_STATUS_CONFLICT'] },
      schema: {
        summary: 'Cancel an offer: its orders may be offered again',
        params,
        response: { 200: offerSchema },
      },
    },
    async (request) => cancelOffer(deps, requireUser(request).userId, request.params.id),
  );
};
