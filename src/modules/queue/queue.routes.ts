import type { RouteRegistrar } from '../../api/surface.ts';
import type { Role } from '../../platform/auth/roles.ts';
import { requireUser } from '../../platform/http/auth.ts';
import { QueueLiveHub, normalizeWebSocketAuth } from './queue.live.ts';
import * as s from './queue.schemas.ts';
import * as service from './queue.service.ts';

/**
 * The waiting room (E5): fans join, poll or heartbeat, leave, and follow their position
 * live over a WebSocket; match managers watch and steer admissions.
 */

const tags = ['queue'];
const fans = { access: 'authenticated' as const };
const WS_PATH = /^\/queue\/[^/]+\/ws\/?$/;

export const queuePublicRoutes: RouteRegistrar = (app, deps) => {
  const hub = new QueueLiveHub(deps);
  app.addHook('onClose', () => hub.close());
  const onUpgrade = (req: Parameters<typeof normalizeWebSocketAuth>[0]) =>
    normalizeWebSocketAuth(req, WS_PATH);
  // Before @fastify/websocket routes the upgrade through the auth hook.
  app.server.prependListener('upgrade', onUpgrade);
  app.addHook('onClose', async () => {
    app.server.removeListener('upgrade', onUpgrade);
  });

  app.post(
    '/queue/:match_id/join',
    {
      config: { ...fans, idempotent: true, problems: ['MATCH_NOT_FOUND', 'QUEUE_NOT_OPEN'] },
      schema: {
        tags,
        summary: 'Join the waiting room of a match',
        description:
          'Answers the position (rank + 1), the estimated wait in seconds and the size of the line. ' +
          'Joining again returns the existing place (200); a new place answers 201. A fan whose ' +
          'window expired or who left starts again at the end. 404 MATCH_NOT_FOUND for an unknown ' +
          'match, 409 QUEUE_NOT_OPEN when the match is not on sale (or opens later than the ' +
          'pre-queue window).',
        params: s.matchIdParams,
        response: { 200: s.queueView, 201: s.queueView },
      },
    },
    async (request, reply) => {
      const { userId } = requireUser(request);
      const { view, created } = await service.joinQueue(deps, userId, request.params.match_id);
      reply.status(created ? 201 : 200);
      return view;
    },
  );

  app.get(
    '/queue/:match_id/status',
    {
      config: { ...fans, problems: ['MATCH_NOT_FOUND', 'QUEUE_ENTRY_NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Your place in the waiting room',
        description:
          'WAITING with the live position, ACTIVE with the purchase window and admission proof, ' +
          'or how the entry ended. 404 QUEUE_ENTRY_NOT_FOUND when you never joined.',
        params: s.matchIdParams,
        response: { 200: s.queueView },
      },
    },
    async (request) =>
      service.queueStatus(deps, requireUser(request).userId, request.params.match_id),
  );

  app.post(
    '/queue/:match_id/heartbeat',
    {
      config: { ...fans, idempotent: true, problems: ['MATCH_NOT_FOUND', 'QUEUE_ENTRY_NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Keep your place (it is kept for 30 minutes after the last heartbeat)',
        params: s.matchIdParams,
        response: { 200: s.queueView },
      },
    },
    async (request) =>
      service.queueHeartbeat(deps, requireUser(request).userId, request.params.match_id),
  );

  app.post(
    '/queue/:match_id/leave',
    {
      config: { ...fans, idempotent: true, problems: ['MATCH_NOT_FOUND', 'QUEUE_ENTRY_NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Leave the waiting room (or give up an open purchase window)',
        params: s.matchIdParams,
        response: { 200: s.queueView },
      },
    },
    async (request) =>
      service.leaveQueue(deps, requireUser(request).userId, request.params.match_id),
  );

  app.get(
    '/queue/:match_id/ws',
    {
      websocket: true,
      config: fans,
      schema: {
        tags,
        summary: 'Live position updates (WebSocket)',
        description:
          'Pushes `{type: "queue_update", position, estimated_wait, total_size, status, …}` on ' +
          'connect, whenever it changes, and every 60 s. The access token goes in the ' +
          'Authorization header, `?access_token=`, or a `Sec-WebSocket-Protocol` entry ' +
          '`bearer.<token>`. Any message from the client counts as a heartbeat.',
        params: s.matchIdParams,
      },
      preValidation: async (request) => {
        const { match_id } = request.params as { match_id: string };
        await service.cachedSaleInfo(deps, match_id);
      },
    },
    async (socket, request) => {
      request.closeOnRevocation(socket);
      await hub.add(socket, requireUser(request).userId, request.params.match_id);
    },
  );
};

const MANAGERS: readonly Role[] = ['MATCH_MANAGER'];

export const queueAdminRoutes: RouteRegistrar = (app, deps) => {
  app.get(
    '/matches/:id/queue',
    {
      config: { access: MANAGERS, problems: ['MATCH_NOT_FOUND'] },
      schema: {
        tags,
        summary: 'The waiting room of a match: counts, measured admission rate, settings',
        params: s.adminMatchParams,
        response: { 200: s.queueAdminView },
      },
    },
    async (request) => service.queueAdminView(deps, request.params.id),
  );

  app.put(
    '/matches/:id/queue',
    {
      config: { access: MANAGERS, problems: ['MATCH_NOT_FOUND'] },
      schema: {
        tags,
        summary:
          'Change the admission rate or cap, pause/resume, or enable/disable the waiting room',
        params: s.adminMatchParams,
        body: s.updateSettingsBody,
        response: { 200: s.queueAdminView },
      },
    },
    async (request) =>
      service.updateQueueSettings(
        deps,
        requireUser(request).userId,
        request.params.id,
        request.body,
        {
          request_id: request.id,
          ip: request.ip,
        },
      ),
  );
};
