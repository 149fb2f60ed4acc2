import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RouteRegistrar } from '../../api/surface.ts';
import type { Role } from '../../platform/auth/roles.ts';
import { requireUser } from '../../platform/http/auth.ts';
import * as s from './venues.schemas.ts';
import * as service from './venues.service.ts';

/** Stadium templates, sectors, seat maps, seats and snake configuration (admin surface). */

const MANAGERS: readonly Role[] = ['MATCH_MANAGER'];
const config = { access: MANAGERS };
const tags = ['venues'];

const actorOf = (request: FastifyRequest): service.Actor => ({
  userId: requireUser(request).userId,
  context: { request_id: request.id, ip: request.ip },
});

const problems = 'Problems: RFC 9457 with a stable `code`.';

export const venueAdminRoutes: RouteRegistrar = (app, deps) => {
  // Stadiums (E2-F3, E2-F5) ----------------------------------------------------------------
  app.get(
    '/stadiums',
    {
      config,
      schema: {
        tags,
        summary: 'List stadium templates, optionally by type (paginated)',
        querystring: s.listStadiumsQuery,
        response: { 200: s.stadiumListOut },
      },
    },
    async (request) => service.listStadiums(deps, request.query),
  );

  app.post(
    '/stadiums',
    {
      config,
      schema: {
        tags,
        summary: 'Create a stadium template; type=AWAY for an away stadium (E2-F5)',
        body: s.createStadiumBody,
        response: { 201: s.stadiumOut },
      },
    },
    async (request, reply) => {
      reply.status(201);
      return service.createStadium(deps, actorOf(request), request.body);
    },
  );

  app.get(
    '/stadiums/:stadiumId',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'A stadium with its sectors',
        params: s.stadiumParams,
        response: { 200: s.stadiumDetailOut },
      },
    },
    async (request) => service.getStadium(deps, request.params.stadiumId),
  );

  // Sectors -------------------------------------------------------------------------------
  app.get(
    '/stadiums/:stadiumId/sectors',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: "The stadium's sectors, by code",
        params: s.stadiumParams,
        response: { 200: s.sectorListOut },
      },
    },
    async (request) => service.listSectors(deps, request.params.stadiumId),
  );

  app.post(
    '/stadiums/:stadiumId/sectors',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Add a sector (code unique per stadium: 409 SECTOR_CODE_TAKEN)',
        description: problems,
        params: s.stadiumParams,
        body: s.createSectorBody,
        response: { 201: s.sectorOut },
      },
    },
    async (request, reply) => {
      reply.status(201);
      return service.createSector(deps, actorOf(request), request.params.stadiumId, request.body);
    },
  );

  app.get(
    '/stadiums/:stadiumId/sectors/:sectorId',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'A sector with its seat map information',
        params: s.stadiumSectorParams,
        response: { 200: s.sectorDetailOut },
      },
    },
    async (request) => service.getSector(deps, request.params.stadiumId, request.params.sectorId),
  );

  app.put(
    '/stadiums/:stadiumId/sectors/:sectorId',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Update a sector (name, code, capacity, type)',
        params: s.stadiumSectorParams,
        body: s.updateSectorBody,
        response: { 200: s.sectorOut },
      },
    },
    async (request) =>
      service.updateSector(
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
        params: s.stadiumSectorParams,
        response: { 204: z.null().describe('Deleted') },
      },
    },
    async (request, reply) => {
      await service.deleteSector(
        deps,
        actorOf(request),
        request.params.stadiumId,
        request.params.sectorId,
      );
      return reply.status(204).send(null);
    },
  );

  // Seat maps (E2-F10) -------------------------------------------------------------------
  app.get(
    '/sectors/:sectorId/seat-map',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'The seat map JSON for the canvas editor',
        params: s.sectorParams,
        response: { 200: s.seatMapOut },
      },
    },
    async (request) => service.getSeatMap(deps, request.params.sectorId),
  );

  app.post(
    '/sectors/:sectorId/seat-map',
    {
      config: { ...config, problems: ['SEAT_MAP_INVALID'] },
      schema: {
        tags,
        summary: 'Create the seat map (422 SEAT_MAP_INVALID names each offending element)',
        params: s.sectorParams,
        body: s.seatMapBody,
        response: { 201: s.seatMapOut },
      },
    },
    async (request, reply) => {
      reply.status(201);
      return service.createSeatMap(
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
        params: s.sectorParams,
        body: s.seatMapBody,
        response: { 200: s.seatMapOut },
      },
    },
    async (request) =>
      service.updateSeatMap(
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
        params: s.sectorParams,
        response: { 204: z.null().describe('Deleted') },
      },
    },
    async (request, reply) => {
      await service.deleteSeatMap(deps, actorOf(request), request.params.sectorId);
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
        params: s.sectorParams,
        querystring: s.generateSeatsQuery,
        response: { 200: s.generateSeatsOut, 201: s.generateSeatsOut },
      },
    },
    async (request, reply) => {
      const result = await service.generateSectorSeats(
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
        params: s.sectorParams,
        body: s.classifySeatsBody,
        response: { 200: s.classifySeatsOut },
      },
    },
    async (request) =>
      service.classifySeats(deps, actorOf(request), request.params.sectorId, request.body),
  );

  app.put(
    '/seats/:seatId/type',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Set the type of one seat',
        params: s.seatParams,
        body: s.seatTypeBody,
        response: { 200: s.seatOut },
      },
    },
    async (request) =>
      service.setSeatType(deps, actorOf(request), request.params.seatId, request.body.seat_type),
  );

  // Snake configuration -------------------------------------------------------------------
  app.get(
    '/sectors/:sectorId/snake-config',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'The snake ordering configuration (defaults when none is stored)',
        params: s.sectorParams,
        response: { 200: s.snakeConfigOut },
      },
    },
    async (request) => service.getSnakeConfig(deps, request.params.sectorId),
  );

  app.put(
    '/sectors/:sectorId/snake-config',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Set the snake ordering configuration',
        description:
          'Rows from best_row_index in traversal_direction, then the rows behind it; rows ' +
          'alternate direction; CENTER_OUTWARD fills from the sector axis outwards. ' +
          'subsector_grouping_json: {"groups": [{"key", "min_row"?, "max_row"?, "min_col"?, ' +
          '"max_col"?}]} filled in order. Used when a match configuration is locked.',
        params: s.sectorParams,
        body: s.snakeConfigBody,
        response: { 200: s.snakeConfigOut },
      },
    },
    async (request) =>
      service.putSnakeConfig(deps, actorOf(request), request.params.sectorId, request.body),
  );
};
