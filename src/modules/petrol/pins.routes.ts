import type { RouteRegistrar } from '../../api/surface.ts';
import { requireUser } from '../../platform/http/auth.ts';
import {
  generatePinBody,
  matchIdParams,
  PIN_DESCRIPTION,
  petrolSaleInfoSchema,
  pinSchema,
  quotaIdParams,
} from './pins.schemas.ts';
import { currentPin, generatePin, petrolSaleInfo } from './pins.service.ts';

/** The fan's side of petrol-station sales (E12-F1), on the public API. */
export const petrolPublicRoutes: RouteRegistrar = (app, deps) => {
  app.get(
    '/petrol-sales/quotas/:quota_id',
    {
      config: { access: 'public', problems: ['NOT_FOUND'] },
      schema: {
        summary: 'Where the petrol QR deep link hns://petrol-sales/{quota-id} leads (E12-F4)',
        params: quotaIdParams,
        response: { 200: petrolSaleInfoSchema },
      },
    },
    async (request) => petrolSaleInfo(deps, request.params.quota_id),
  );

  app.post(
    '/petrol-sales/:match_id/generate-pin',
    {
      config: {
        access: 'authenticated',
        problems: [
          'PETROL_NOT_AVAILABLE',
          'PETROL_SOLD_OUT',
          'PETROL_PIN_IN_USE',
          'BLACKLISTED',
          'HOLDER_HAS_TICKET',
          'PURCHASE_LIMIT_EXCEEDED',
          'PROFILE_NOT_FOUND',
          'OIB_INVALID',
          'SERVICE_BUSY',
        ],
      },
      schema: {
        summary: 'A PIN for buying tickets at a petrol station (E12-F1)',
        description: PIN_DESCRIPTION,
        params: matchIdParams,
        body: generatePinBody,
        response: { 201: pinSchema },
      },
    },
    async (request, reply) =>
      reply.status(201).send(
        await generatePin(
          deps,
          requireUser(request).userId,
          request.params.match_id,
          request.body,
          {
            ip: request.ip,
            userAgent: request.headers['user-agent'] ?? null,
          },
        ),
      ),
  );

  app.get(
    '/petrol-sales/:match_id/pin',
    {
      config: { access: 'authenticated', problems: ['NOT_FOUND'] },
      schema: {
        summary: "The caller's newest PIN for the match (E12-F1)",
        params: matchIdParams,
        response: { 200: pinSchema },
      },
    },
    async (request) => currentPin(deps, requireUser(request).userId, request.params.match_id),
  );
};
