import type { RouteRegistrar } from '../../api/surface.ts';
import { normalizeWebSocketAuth } from '../queue/queue.live.ts';
import { DashboardLiveHub } from './dashboard.live.ts';
import * as s from './dashboard.schemas.ts';
import * as service from './dashboard.service.ts';
import { REPORT_ROLES } from './reports.rules.ts';

const tags = ['dashboard'];
const WS_PATH = /^\/admin\/dashboard\/match\/[^/]+\/live\/?$/;

export const dashboardAdminRoutes: RouteRegistrar = (app, deps) => {
  const hub = new DashboardLiveHub(deps);
  app.addHook('onClose', () => hub.close());
  const onUpgrade = (req: Parameters<typeof normalizeWebSocketAuth>[0]) =>
    normalizeWebSocketAuth(req, WS_PATH);
  // Browsers cannot set headers on a WebSocket: the token may come in the query or a subprotocol.
  app.server.prependListener('upgrade', onUpgrade);
  app.addHook('onClose', async () => {
    app.server.removeListener('upgrade', onUpgrade);
  });

  app.get(
    '/dashboard/match/:id',
    {
      config: { access: REPORT_ROLES, problems: ['MATCH_NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Live figures of a match on sale: seats, revenue, pace, payments, queue',
        description:
          'Sold, available and reserved seats (carts, orders in payment, quota, petrol) in ' +
          'total and per sector with every status, revenue (paid minus refunded), orders per ' +
          'minute and the last hour per minute, payment success and failure rates, and the ' +
          'waiting room (length, admissions per minute).',
        params: s.dashboardParams,
        response: { 200: s.dashboardSnapshot },
      },
    },
    async (request) => service.dashboardSnapshot(deps, request.params.id),
  );

  app.get(
    '/dashboard/match/:id/live',
    {
      websocket: true,
      config: { access: REPORT_ROLES, problems: ['MATCH_NOT_FOUND'] },
      schema: {
        tags,
        summary: 'The match dashboard live (WebSocket): the figures every second while they change',
        description:
          'Sends `{type: "dashboard_update", …}` (the GET response) on connect and then at most ' +
          'once per DASHBOARD_INTERVAL_MS, only when a figure changed. The access token goes in ' +
          'the Authorization header, `?access_token=`, or a `Sec-WebSocket-Protocol` entry ' +
          '`bearer.<token>`.',
        params: s.dashboardParams,
      },
      preValidation: async (request) => {
        const { id } = request.params as { id: string };
        await service.findMatchOrThrow(deps, id);
      },
    },
    async (socket, request) => {
      request.closeOnRevocation(socket);
      await hub.add(socket, request.params.id);
    },
  );
};
