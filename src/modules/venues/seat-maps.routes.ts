import type { RouteRegistrar } from '../../api/surface.ts';
import * as v from './venues.schemas.ts';
import { z } from 'zod';
import { actorOf, config, tags } from './stadiums.routes.ts';
import * as seatMapsSchemas from './seat-maps.schemas.ts';
import * as seatMapsService from './seat-maps.service.ts';

/** Seat maps, seat generation and seat types (E2-F10) (admin surface). */

export const seatMapAdminRoutes: RouteRegistrar = (app, deps) => {
  app.get(
    '/sectors/:sectorId/seat-map',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'The seat map JSON for the canvas editor',
        params: v.sectorParams,
        response: { 200: seatMapsSchemas.seatMapOut },
      },
    },
    async (request) => seatMapsService.getSeatMap(deps, request.params.sectorId),
  );

  app.post(
    '/sectors/:sectorId/seat-map',
    {
      config: { ...config, problems: ['SEAT_MAP_INVALID'] },
      schema: {
        tags,
        summary: 'Create the seat map (422 SEAT_MAP_INVALID names each offending element)',
        params: v.sectorParams,
        body: seatMapsSchemas.seatMapBody,
        response: { 201: seatMapsSchemas.seatMapOut },
      },
    },
    async (request, reply) => {
      reply.status(201);
      return seatMapsService.createSeatMap(
        deps,
        actorOf(request),
        request.params.sectorId,
        request.body.seat_map_json,
      );
    },
  );

  app.put(
    '/sectors/:sectorId/seat-map',
    {
      config: { ...config, problems: ['SEAT_MAP_INVALID'] },
      schema: {
        tags,
        summary: 'Replace the seat map (back to DRAFT until seats are regenerated)',
        params: v.sectorParams,
        body: seatMapsSchemas.seatMapBody,
        response: { 200: seatMapsSchemas.seatMapOut },
      },
    },
    async (request) =>
      seatMapsService.updateSeatMap(
        deps,
        actorOf(request),
        request.params.sectorId,
        request.body.seat_map_json,
      ),
  );

  app.delete(
    '/sectors/:sectorId/seat-map',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Delete the seat map (409 SEATS_ALREADY_GENERATED once seats exist)',
        params: v.sectorParams,
        response: { 204: z.null().describe('Deleted') },
      },
    },
    async (request, reply) => {
      await seatMapsService.deleteSeatMap(deps, actorOf(request), request.params.sectorId);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/sectors/:sectorId/seats/generate',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Generate the seats from the seat map (preview, force_regenerate)',
        description:
          'preview=true returns the seats without saving (200). Otherwise creates them (201); ' +
          'existing seats need force_regenerate=true (409 SEATS_ALREADY_GENERATED), which is ' +
          'refused with 409 SEATS_HAVE_TICKETS when a seat is sold or in a locked match ' +
          'configuration, and 409 SEATS_IN_USE when other match inventories reference them.',
        params: v.sectorParams,
        querystring: seatMapsSchemas.generateSeatsQuery,
        response: { 200: seatMapsSchemas.generateSeatsOut, 201: seatMapsSchemas.generateSeatsOut },
      },
    },
    async (request, reply) => {
      const result = await seatMapsService.generateSectorSeats(
        deps,
        actorOf(request),
        request.params.sectorId,
        request.query,
      );
      reply.status(result.preview ? 200 : 201);
      return result;
    },
  );

  app.post(
    '/sectors/:sectorId/seats/classify',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Set the type of many seats: by seat ids or by a row range',
        params: v.sectorParams,
        body: seatMapsSchemas.classifySeatsBody,
        response: { 200: seatMapsSchemas.classifySeatsOut },
      },
    },
    async (request) =>
      seatMapsService.classifySeats(deps, actorOf(request), request.params.sectorId, request.body),
  );

  app.put(
    '/seats/:seatId/type',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Set the type of one seat',
        params: v.seatParams,
        body: seatMapsSchemas.seatTypeBody,
        response: { 200: seatMapsSchemas.seatOut },
      },
    },
    async (request) =>
      seatMapsService.setSeatType(
        deps,
        actorOf(request),
        request.params.seatId,
        request.body.seat_type,
      ),
  );
};
