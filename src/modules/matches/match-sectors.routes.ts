import { z } from 'zod';
import type { RouteRegistrar } from '../../api/surface.ts';
import { actorOf, config, tags } from './matches.routes.ts';
import { matchConfigParams } from './matches.schemas.ts';
import * as s from './match-sectors.schemas.ts';
import * as service from './match-sectors.service.ts';

/** Sectors of a match configuration (admin surface, MATCH_MANAGER). */

export const matchSectorAdminRoutes: RouteRegistrar = (app, deps) => {
  app.get(
    '/matches/:matchId/sectors',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Sectors of the match configuration, by code',
        params: matchConfigParams,
        response: { 200: z.array(s.matchSectorOut) },
      },
    },
    async (request) => service.listMatchSectors(deps, request.params.matchId),
  );

  app.post(
    '/matches/:matchId/sectors',
    {
      config: { ...config, problems: ['CONFIG_LOCKED', 'NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Add a sector of the match venue to the configuration',
        description:
          'Defaults come from the template sector; 409 CONFIG_LOCKED once locked, 409 CONFLICT ' +
          'when the sector is already configured.',
        params: matchConfigParams,
        body: s.addMatchSectorBody,
        response: { 201: s.matchSectorOut },
      },
    },
    async (request, reply) => {
      const sector = await service.addMatchSector(
        deps,
        actorOf(request),
        request.params.matchId,
        request.body,
      );
      reply.status(201);
      return sector;
    },
  );

  // Registered before /:sectorId for readability; Fastify prefers static segments anyway.
  app.put(
    '/matches/:matchId/sectors/bulk',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Update several match sectors in one transaction (all or nothing)',
        description: 'Same rules as the single update, for every listed sector.',
        params: matchConfigParams,
        body: s.bulkUpdateSectorsBody,
        response: { 200: z.array(s.matchSectorOut) },
      },
    },
    async (request) =>
      service.bulkUpdateMatchSectors(deps, actorOf(request), request.params.matchId, request.body),
  );

  app.put(
    '/matches/:matchId/sectors/:sectorId',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Update a match sector: status, purpose, pricing, capacities',
        description:
          '409 TICKETS_SOLD once a seat of the sector is sold; 409 SALES_STARTED while a seat ' +
          'is held by a live cart, quota-portal, petrol or order hold (the buyer keeps the ' +
          'price and sector they were shown); 409 CONFLICT (`retryable`) while a seat is being ' +
          'claimed right now. While the configuration is locked only name, purpose and price ' +
          'category may change (409 CONFIG_LOCKED).',
        params: s.matchSectorParams,
        body: s.updateMatchSectorBody,
        response: { 200: s.matchSectorOut },
      },
    },
    async (request) =>
      service.updateMatchSector(
        deps,
        actorOf(request),
        request.params.matchId,
        request.params.sectorId,
        request.body,
      ),
  );
};
