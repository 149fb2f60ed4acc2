import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RouteRegistrar } from '../../api/surface.ts';
import type { Role } from '../../platform/auth/roles.ts';
import { requireUser } from '../../platform/http/auth.ts';
import * as s from './matches.schemas.ts';
import * as service from './matches.service.ts';

/**
 * Matches, sales phases and match stadium configuration (admin surface, MATCH_MANAGER).
 * Status changes go through POST /admin/matches/{id}/status (or `status` in PUT); both use
 * the one status machine and answer 400 INVALID_STATUS_TRANSITION for a move it forbids.
 */

const MANAGERS: readonly Role[] = ['MATCH_MANAGER'];
const config = { access: MANAGERS };
const tags = ['matches'];

const actorOf = (request: FastifyRequest): service.Actor => ({
  userId: requireUser(request).userId,
  context: { request_id: request.id, ip: request.ip },
});

export const matchAdminRoutes: RouteRegistrar = (app, deps) => {
  // Matches (E2-F1) -------------------------------------------------------------------------
  app.post(
    '/matches',
    {
      config,
      schema: {
        tags,
        summary: 'Create a match (status DRAFT)',
        body: s.createMatchBody,
        response: { 201: s.createMatchOut },
      },
    },
    async (request, reply) => {
      const match = await service.createMatch(deps, actorOf(request), request.body);
      reply.status(201);
      return { match_id: match.id, match };
    },
  );

  app.get(
    '/matches',
    {
      config,
      schema: {
        tags,
        summary: 'List matches by kick-off (paginated; soft-deleted ones hidden by default)',
        querystring: s.listMatchesQuery,
        response: { 200: s.matchListOut },
      },
    },
    async (request) => service.listMatches(deps, request.query),
  );

  app.get(
    '/matches/:id',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'A match (also a soft-deleted one, with status DELETED)',
        params: s.matchIdParams,
        response: { 200: s.matchOut },
      },
    },
    async (request) => service.getMatch(deps, request.params.id),
  );

  app.put(
    '/matches/:id',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Update match details (and optionally its status)',
        description:
          'Only the given fields change. A changed kick_off_time is logged as RESCHEDULE. ' +
          '`notification_preference` (notify|silent) is stored with the change log entry. ' +
          'A `status` runs through the status machine: 400 INVALID_STATUS_TRANSITION when it ' +
          'forbids the move. CLOSED, CANCELLED and DELETED matches answer 409 MATCH_NOT_EDITABLE.',
        params: s.matchIdParams,
        body: s.updateMatchBody,
        response: { 200: s.matchOut },
      },
    },
    async (request) => service.updateMatch(deps, actorOf(request), request.params.id, request.body),
  );

  app.post(
    '/matches/:id/status',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Change the match status: DRAFT → PUBLISHED → ACTIVE → CLOSED',
        description:
          'Any other move answers 400 INVALID_STATUS_TRANSITION. ACTIVE (sales open) needs a ' +
          'locked stadium configuration (409 CONFIG_NOT_LOCKED). Cancellation has its own ' +
          'workflow (E2-F7) and deletion is DELETE /admin/matches/{id}.',
        params: s.matchIdParams,
        body: s.statusChangeBody,
        response: { 200: s.matchOut },
      },
    },
    async (request) =>
      service.changeMatchStatus(deps, actorOf(request), request.params.id, request.body),
  );

  app.delete(
    '/matches/:id',
    {
      config: { ...config, problems: ['INVALID_STATUS_TRANSITION', 'NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Soft-delete a DRAFT or CANCELLED match (status DELETED, deleted_at set)',
        description: 'Other statuses answer 400 INVALID_STATUS_TRANSITION.',
        params: s.matchIdParams,
        response: { 200: s.matchOut },
      },
    },
    async (request) => service.deleteMatch(deps, actorOf(request), request.params.id),
  );

  // Sales phases (E2-F2) --------------------------------------------------------------------
  app.get(
    '/matches/:id/sales-phases',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Sales phases of a match, by start',
        params: s.matchIdParams,
        response: { 200: z.array(s.phaseOut) },
      },
    },
    async (request) => service.listSalesPhases(deps, request.params.id),
  );

  app.post(
    '/matches/:id/sales-phases',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Create a sales phase',
        description:
          'Active phases of a match may not overlap ([start_at, end_at) ranges): 400 ' +
          'PHASES_OVERLAP. eligibility_rules_json holds loyalty tiers {min_points, ' +
          'ticket_limit} (per match); a LOYALTY phase needs at least one and no tier may ' +
          'exceed the phase ticket_limit (400 VALIDATION_FAILED).',
        params: s.matchIdParams,
        body: s.createPhaseBody,
        response: { 201: s.phaseOut },
      },
    },
    async (request, reply) => {
      const phase = await service.createSalesPhase(
        deps,
        actorOf(request),
        request.params.id,
        request.body,
      );
      reply.status(201);
      return phase;
    },
  );

  app.put(
    '/matches/:id/sales-phases/:phase_id',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Update a sales phase (same rules as creation, on the merged phase)',
        params: s.phaseParams,
        body: s.updatePhaseBody,
        response: { 200: s.phaseOut },
      },
    },
    async (request) =>
      service.updateSalesPhase(
        deps,
        actorOf(request),
        request.params.id,
        request.params.phase_id,
        request.body,
      ),
  );

  // Stadium configuration (E2-F4) -----------------------------------------------------------
  app.get(
    '/matches/:matchId/stadium',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'The match stadium configuration: stadium, sectors, price categories',
        params: s.matchConfigParams,
        response: { 200: s.stadiumConfigOut },
      },
    },
    async (request) => service.getStadiumConfig(deps, request.params.matchId),
  );

  app.post(
    '/matches/:matchId/stadium',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Configure the match stadium from a template, a previous match or inline',
        description:
          'Exactly one of stadium_template_id (copy the template sectors), ' +
          'import_from_match_id (copy that match’s stadium, sectors, prices and sector ' +
          'statuses) or create_new (an AWAY stadium with its sectors). Replaces the previous ' +
          'sectors; 409 CONFIG_LOCKED once locked, 409 SALES_STARTED while a seat is reserved, ' +
          'sold or allocated, 409 CONFLICT (`retryable`) while one is being claimed.',
        params: s.matchConfigParams,
        body: s.configureStadiumBody,
        response: { 200: s.stadiumConfigOut },
      },
    },
    async (request) =>
      service.configureStadium(deps, actorOf(request), request.params.matchId, request.body),
  );

  app.post(
    '/matches/:matchId/stadium/validate',
    {
      config: { ...config, problems: ['CONFIG_LOCKED', 'NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Validate the configuration; when valid, lock it and create the seat inventory',
        description:
          'Checks: at least one sector; every ACTIVE sector priced; sellable + technical ≤ ' +
          'total; numbered sectors have seats, total ≤ seats, sellable ≤ non-technical seats, ' +
          'technical ≥ seats classified technical; some active sellable capacity. With issues ' +
          'nothing changes (valid=false). Otherwise the configuration becomes VALIDATED then ' +
          'LOCKED and one inventory row per seat is created with its snake order: TECHNICAL ' +
          'seats start TECHNICAL, seats of CLOSED sectors BLOCKED, of MAINTENANCE sectors ' +
          'MAINTENANCE, the rest AVAILABLE.',
        params: s.matchConfigParams,
        response: { 200: s.validationOut },
      },
    },
    async (request) => service.validateAndLock(deps, actorOf(request), request.params.matchId),
  );

  app.post(
    '/matches/:matchId/stadium/unlock',
    {
      config: { ...config, problems: ['NOT_FOUND', 'SALES_STARTED'] },
      schema: {
        tags,
        summary: 'Unlock the configuration for changes (409 SALES_STARTED once sales started)',
        description:
          'Sales have started when an active sales phase has begun or a seat is reserved, sold ' +
          'or allocated. Inventory rows stay; the next lock refreshes them in place. 409 ' +
          'CONFLICT (`retryable`) while a seat of the match is being claimed or changed.',
        params: s.matchConfigParams,
        response: { 200: s.stadiumConfigOut },
      },
    },
    async (request) => service.unlockConfiguration(deps, actorOf(request), request.params.matchId),
  );

  // Price categories (E2-F4) -----------------------------------------------------------------
  app.get(
    '/matches/:matchId/price-categories',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Price categories of the match',
        params: s.matchConfigParams,
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
        params: s.matchConfigParams,
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

  // Match sectors (E2-F4) --------------------------------------------------------------------
  app.get(
    '/matches/:matchId/sectors',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Sectors of the match configuration, by code',
        params: s.matchConfigParams,
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
        params: s.matchConfigParams,
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
        params: s.matchConfigParams,
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
