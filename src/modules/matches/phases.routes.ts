import { z } from 'zod';
import type { RouteRegistrar } from '../../api/surface.ts';
import { actorOf, config, tags } from './matches.routes.ts';
import { matchIdParams } from './matches.schemas.ts';
import * as s from './phases.schemas.ts';
import * as service from './phases.service.ts';

/** Sales phases of a match (admin surface, MATCH_MANAGER). */

export const salesPhaseAdminRoutes: RouteRegistrar = (app, deps) => {
  app.get(
    '/matches/:id/sales-phases',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Sales phases of a match, by start',
        params: matchIdParams,
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
        params: matchIdParams,
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
};
