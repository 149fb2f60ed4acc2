import type { RouteRegistrar } from '../../api/surface.ts';
import * as v from './venues.schemas.ts';
import type { FastifyRequest } from 'fastify';
import type { Role } from '../../platform/auth/roles.ts';
import { requireUser } from '../../platform/http/auth.ts';
import type { Actor } from './venue-changes.ts';
import * as stadiumsSchemas from './stadiums.schemas.ts';
import * as sectorsSchemas from './sectors.schemas.ts';
import * as stadiumsService from './stadiums.service.ts';

/** Shared by every venues routes file: role, tags, the acting user. */
const MANAGERS: readonly Role[] = ['MATCH_MANAGER'];
export const config = { access: MANAGERS };
export const tags = ['venues'];

export const actorOf = (request: FastifyRequest): Actor => ({
  userId: requireUser(request).userId,
  context: { request_id: request.id, ip: request.ip },
});

export const problems = 'Problems: RFC 9457 with a stable `code`.';

/** Stadium templates (E2-F3, E2-F5) (admin surface). */

export const stadiumAdminRoutes: RouteRegistrar = (app, deps) => {
  app.get(
    '/stadiums',
    {
      config,
      schema: {
        tags,
        summary: 'List stadium templates, optionally by type (paginated)',
        querystring: stadiumsSchemas.listStadiumsQuery,
        response: { 200: stadiumsSchemas.stadiumListOut },
      },
    },
    async (request) => stadiumsService.listStadiums(deps, request.query),
  );

  app.post(
    '/stadiums',
    {
      config,
      schema: {
        tags,
        summary: 'Create a stadium template; type=AWAY for an away stadium (E2-F5)',
        body: stadiumsSchemas.createStadiumBody,
        response: { 201: stadiumsSchemas.stadiumOut },
      },
    },
    async (request, reply) => {
      reply.status(201);
      return stadiumsService.createStadium(deps, actorOf(request), request.body);
    },
  );

  app.get(
    '/stadiums/:stadiumId',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'A stadium with its sectors',
        params: v.stadiumParams,
        response: { 200: sectorsSchemas.stadiumDetailOut },
      },
    },
    async (request) => stadiumsService.getStadium(deps, request.params.stadiumId),
  );
};
