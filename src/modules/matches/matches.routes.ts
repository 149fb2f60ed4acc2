import type { FastifyRequest } from 'fastify';
import type { RouteRegistrar } from '../../api/surface.ts';
import type { Role } from '../../platform/auth/roles.ts';
import { requireUser } from '../../platform/http/auth.ts';
import type { Actor } from './match-changes.ts';
import * as s from './matches.schemas.ts';
import * as service from './matches.service.ts';

/**
 * Matches: create, list, read, update, status, soft delete (admin surface, MATCH_MANAGER).
 * Status changes go through POST /admin/matches/{id}/status (or `status` in PUT); both use
 * the one status machine and answer 400 INVALID_STATUS_TRANSITION for a move it forbids.
 */

const MANAGERS: readonly Role[] = ['MATCH_MANAGER'];
export const config = { access: MANAGERS };
export const tags = ['matches'];

export const actorOf = (request: FastifyRequest): Actor => ({
  userId: requireUser(request).userId,
  context: { request_id: request.id, ip: request.ip },
});

export const matchAdminRoutes: RouteRegistrar = (app, deps) => {
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
      config: {
        ...config,
        problems: [
          'CONFIG_NOT_LOCKED',
          'CONFLICT',
          'INVALID_STATUS_TRANSITION',
          'MATCH_NOT_EDITABLE',
          'NOT_FOUND',
        ],
      },
      schema: {
        tags,
        summary: 'Update match details (and optionally its status)',
        description:
          'Only the given fields change. A changed kick_off_time is logged as RESCHEDULE. ' +
          'Every change is logged (match_audit_logs, before/after) and audited. With ' +
          '`notification_preference: notify` a change of kick-off, venue or status is announced ' +
          'to every holder of a valid ticket and its buyer (email hr/en and push, once per ' +
          'person) by a background job: the request answers at once. ' +
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
      config: {
        ...config,
        problems: ['CONFIG_NOT_LOCKED', 'INVALID_STATUS_TRANSITION', 'NOT_FOUND'],
      },
      schema: {
        tags,
        summary: 'Change the match status: DRAFT → PUBLISHED → ACTIVE',
        description:
          'Any other move answers 400 INVALID_STATUS_TRANSITION. ACTIVE (sales open) needs a ' +
          'locked stadium configuration (409 CONFIG_NOT_LOCKED). Closing is ' +
          'POST /admin/matches/{id}/close (with the attendance, E2-F9), cancellation has its ' +
          'own workflow (E2-F7) and deletion is DELETE /admin/matches/{id}. ' +
          '`notification_preference: notify` announces the change to ticket holders as PUT does.',
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
};
