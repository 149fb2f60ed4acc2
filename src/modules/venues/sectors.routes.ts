import type { RouteRegistrar } from '../../api/surface.ts';
import * as v from './venues.schemas.ts';
import { z } from 'zod';
import { actorOf, config, problems, tags } from './stadiums.routes.ts';
import * as sectorsSchemas from './sectors.schemas.ts';
import * as sectorsService from './sectors.service.ts';

/** Sectors of a stadium template (E2-F3) (admin surface). */

export const sectorAdminRoutes: RouteRegistrar = (app, deps) => {
  app.get(
    '/stadiums/:stadiumId/sectors',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: "The stadium's sectors, by code",
        params: v.stadiumParams,
        response: { 200: sectorsSchemas.sectorListOut },
      },
    },
    async (request) => sectorsService.listSectors(deps, request.params.stadiumId),
  );

  app.post(
    '/stadiums/:stadiumId/sectors',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Add a sector (code unique per stadium: 409 SECTOR_CODE_TAKEN)',
        description: problems,
        params: v.stadiumParams,
        body: sectorsSchemas.createSectorBody,
        response: { 201: sectorsSchemas.sectorOut },
      },
    },
    async (request, reply) => {
      reply.status(201);
      return sectorsService.createSector(
        deps,
        actorOf(request),
        request.params.stadiumId,
        request.body,
      );
    },
  );

  app.get(
    '/stadiums/:stadiumId/sectors/:sectorId',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'A sector with its seat map information',
        params: v.stadiumSectorParams,
        response: { 200: sectorsSchemas.sectorDetailOut },
      },
    },
    async (request) =>
      sectorsService.getSector(deps, request.params.stadiumId, request.params.sectorId),
  );

  app.put(
    '/stadiums/:stadiumId/sectors/:sectorId',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Update a sector (name, code, capacity, type)',
        params: v.stadiumSectorParams,
        body: sectorsSchemas.updateSectorBody,
        response: { 200: sectorsSchemas.sectorOut },
      },
    },
    async (request) =>
      sectorsService.updateSector(
        deps,
        actorOf(request),
        request.params.stadiumId,
        request.params.sectorId,
        request.body,
      ),
  );

  app.delete(
    '/stadiums/:stadiumId/sectors/:sectorId',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Delete a sector (409 SECTOR_IN_USE with a seat map or used by a match)',
        params: v.stadiumSectorParams,
        response: { 204: z.null().describe('Deleted') },
      },
    },
    async (request, reply) => {
      await sectorsService.deleteSector(
        deps,
        actorOf(request),
        request.params.stadiumId,
        request.params.sectorId,
      );
      return reply.status(204).send(null);
    },
  );
};
