import type { RouteRegistrar } from '../../api/surface.ts';
import { requireUser } from '../../platform/http/auth.ts';
import {
  cancelPetrolQuotaBody,
  cancelPetrolQuotaResponse,
  CREATE_DESCRIPTION,
  createPetrolQuotaBody,
  listPetrolQuotasQuery,
  listPetrolQuotasResponse,
  petrolQuotaIdParams,
  petrolQuotaSchema,
} from './petrol-quotas.schemas.ts';
import {
  cancelPetrolQuota,
  createPetrolQuota,
  getPetrolQuota,
  listPetrolQuotas,
  petrolQuotaQr,
} from './petrol-quotas.service.ts';
import {
  createStationBody,
  deactivatedStationSchema,
  listStationsResponse,
  salesTotalsQuery,
  salesTotalsResponse,
  staffAssignmentSchema,
  staffRemovalSchema,
  stationIdParams,
  stationSchema,
  stationStaffParams,
} from './stations.schemas.ts';
import {
  assignStationStaff,
  createStation,
  deactivateStation,
  listStations,
  removeStationStaff,
  salesTotals,
} from './stations.service.ts';

/** Admin petrol section (E12-F4): petrol quotas with their QR codes, stations, totals. */
export const petrolAdminRoutes: RouteRegistrar = (app, deps) => {
  app.post(
    '/petrol/quotas',
    {
      config: {
        access: ['MATCH_MANAGER'],
        problems: [
          'PETROL_MATCH_INVALID',
          'PETROL_QUOTA_EXISTS',
          'QUOTA_MATCH_CLOSED',
          'QUOTA_SECTOR_INVALID',
          'QUOTA_SEATS_INSUFFICIENT',
        ],
      },
      schema: {
        summary: "Create the match's petrol quota (forced flags) (E12-F4)",
        description: CREATE_DESCRIPTION,
        body: createPetrolQuotaBody,
        response: { 201: petrolQuotaSchema },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await createPetrolQuota(deps, requireUser(request).userId, request.body)),
  );

  app.get(
    '/petrol/quotas',
    {
      config: { access: ['MATCH_MANAGER'] },
      schema: {
        summary:
          'Petrol quotas: by match, status, deferred-payment status, kick-off range (E12-F4)',
        querystring: listPetrolQuotasQuery,
        response: { 200: listPetrolQuotasResponse },
      },
    },
    async (request) => listPetrolQuotas(deps, request.query),
  );

  app.get(
    '/petrol/quotas/:id',
    {
      config: { access: ['MATCH_MANAGER'], problems: ['NOT_FOUND'] },
      schema: {
        summary: 'A petrol quota with its deep link and seats (E12-F4)',
        params: petrolQuotaIdParams,
        response: { 200: petrolQuotaSchema },
      },
    },
    async (request) => getPetrolQuota(deps, request.params.id),
  );

  for (const format of ['svg', 'png'] as const) {
    app.get(
      `/petrol/quotas/:id/qr.${format}`,
      {
        config: { access: ['MATCH_MANAGER'], problems: ['NOT_FOUND'] },
        schema: {
          summary: `The QR code of the petrol deep link hns://petrol-sales/{quota-id}, ${format.toUpperCase()}${format === 'png' ? ' (600×600)' : ''} (E12-F4)`,
          params: petrolQuotaIdParams,
        },
      },
      async (request, reply) => {
        const qr = await petrolQuotaQr(deps, request.params.id, format);
        return reply
          .type(qr.contentType)
          .header('cache-control', 'private, max-age=300')
          .send(qr.body);
      },
    );
  }

  app.post(
    '/petrol/quotas/:id/cancel',
    {
      config: { access: ['MATCH_MANAGER'], problems: ['NOT_FOUND', 'QUOTA_NOT_CANCELLABLE'] },
      schema: {
        summary: 'Cancel a petrol quota through the quota cancellation (E12-F4, E7-F7)',
        params: petrolQuotaIdParams,
        body: cancelPetrolQuotaBody,
        response: { 200: cancelPetrolQuotaResponse },
      },
    },
    async (request) =>
      cancelPetrolQuota(deps, requireUser(request).userId, request.params.id, request.body.option),
  );

  app.post(
    '/petrol/stations',
    {
      config: { access: ['MATCH_MANAGER'], problems: ['PETROL_STATION_CODE_TAKEN'] },
      schema: {
        summary: 'Register a petrol station',
        body: createStationBody,
        response: { 201: stationSchema },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createStation(deps, requireUser(request).userId, request.body)),
  );

  app.get(
    '/petrol/stations',
    {
      config: { access: ['MATCH_MANAGER', 'FINANCE'] },
      schema: { summary: 'Petrol stations', response: { 200: listStationsResponse } },
    },
    async () => listStations(deps),
  );

  app.put(
    '/petrol/stations/:id/staff/:user_id',
    {
      config: { access: ['MATCH_MANAGER'], problems: ['NOT_FOUND'] },
      schema: {
        summary: 'Make a user a cashier of the station (grants PETROL_STAFF)',
        params: stationStaffParams,
        response: { 200: staffAssignmentSchema },
      },
    },
    async (request) =>
      assignStationStaff(
        deps,
        requireUser(request).userId,
        request.params.id,
        request.params.user_id,
      ),
  );

  app.post(
    '/petrol/stations/:id/deactivate',
    {
      config: { access: ['MATCH_MANAGER'], problems: ['NOT_FOUND'] },
      schema: {
        summary: 'Deactivate a station: its cashiers refused, its live reservations released',
        params: stationIdParams,
        response: { 200: deactivatedStationSchema },
      },
    },
    async (request) => deactivateStation(deps, requireUser(request).userId, request.params.id),
  );

  app.delete(
    '/petrol/stations/:id/staff/:user_id',
    {
      config: { access: ['MATCH_MANAGER'], problems: ['NOT_FOUND'] },
      schema: {
        summary: 'Remove a cashier from the station (PETROL_STAFF revoked, reservations released)',
        params: stationStaffParams,
        response: { 200: staffRemovalSchema },
      },
    },
    async (request) =>
      removeStationStaff(
        deps,
        requireUser(request).userId,
        request.params.id,
        request.params.user_id,
      ),
  );

  app.get(
    '/petrol/sales/totals',
    {
      config: { access: ['FINANCE', 'MATCH_MANAGER'] },
      schema: {
        summary: 'Cash and card taken per petrol station and cashier',
        querystring: salesTotalsQuery,
        response: { 200: salesTotalsResponse },
      },
    },
    async (request) => salesTotals(deps, request.query),
  );
};
