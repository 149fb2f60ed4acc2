import type { RouteRegistrar } from '../../api/surface.ts';
import { actorOf, config, tags } from './matches.routes.ts';
import { matchConfigParams } from './matches.schemas.ts';
import * as s from './stadium-config.schemas.ts';
import * as service from './stadium-config.service.ts';

/** The match stadium configuration: configure, validate and lock, unlock (admin surface, MATCH_MANAGER). */

export const stadiumConfigAdminRoutes: RouteRegistrar = (app, deps) => {
  app.get(
    '/matches/:matchId/stadium',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'The match stadium configuration: stadium, sectors, price categories',
        params: matchConfigParams,
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
        params: matchConfigParams,
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
        params: matchConfigParams,
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
        params: matchConfigParams,
        response: { 200: s.stadiumConfigOut },
      },
    },
    async (request) => service.unlockConfiguration(deps, actorOf(request), request.params.matchId),
  );
};
