import { z } from 'zod';
import type { RouteRegistrar } from '../../api/surface.ts';
import { actorOf, config, tags } from './matches.routes.ts';
import { matchConfigParams } from './matches.schemas.ts';
import * as s from './price-categories.schemas.ts';
import * as service from './price-categories.service.ts';

/** Price categories of a match (admin surface, MATCH_MANAGER). */

export const priceCategoryAdminRoutes: RouteRegistrar = (app, deps) => {
  app.get(
    '/matches/:matchId/price-categories',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Price categories of the match',
        params: matchConfigParams,
        response: { 200: z.array(s.priceCategoryOut) },
      },
    },
    async (request) => service.listPriceCategories(deps, request.params.matchId),
  );

  app.post(
    '/matches/:matchId/price-categories',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Create a price category (name unique per match: 409 PRICE_CATEGORY_NAME_TAKEN)',
        params: matchConfigParams,
        body: s.createPriceCategoryBody,
        response: { 201: s.priceCategoryOut },
      },
    },
    async (request, reply) => {
      const category = await service.createPriceCategory(
        deps,
        actorOf(request),
        request.params.matchId,
        request.body,
      );
      reply.status(201);
      return category;
    },
  );

  app.put(
    '/matches/:matchId/price-categories/:categoryId',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Update a price category',
        description:
          'A new price is refused like repricing the sectors priced with the category: 409 ' +
          'TICKETS_SOLD when a seat of one of them is sold, 409 SALES_STARTED while one is held ' +
          'in a cart or pending order, 409 CONFLICT (`retryable`) while one is being claimed. ' +
          'Name and colour may always change.',
        params: s.priceCategoryParams,
        body: s.updatePriceCategoryBody,
        response: { 200: s.priceCategoryOut },
      },
    },
    async (request) =>
      service.updatePriceCategory(
        deps,
        actorOf(request),
        request.params.matchId,
        request.params.categoryId,
        request.body,
      ),
  );

  app.delete(
    '/matches/:matchId/price-categories/:categoryId',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Delete a price category (409 PRICE_CATEGORY_IN_USE while a sector uses it)',
        params: s.priceCategoryParams,
        response: { 204: z.null().describe('Deleted') },
      },
    },
    async (request, reply) => {
      await service.deletePriceCategory(
        deps,
        actorOf(request),
        request.params.matchId,
        request.params.categoryId,
      );
      return reply.status(204).send(null);
    },
  );
};
