import { z } from 'zod';
import type { RouteRegistrar } from '../../api/surface.ts';
import { requireUser } from '../../platform/http/auth.ts';
import {
  authHeaders,
  deviceParams,
  logBody,
  passParams,
  registrationBody,
  registrationParams,
  ticketParams,
  updatedQuery,
  updatedSerials as updatedSerialsSchema,
} from './apple.schemas.ts';
import {
  getApplePass,
  latestPass,
  logFromDevices,
  registerDevice,
  unregisterDevice,
  updatedSerials,
} from './apple.service.ts';

export const PKPASS_TYPE = 'application/vnd.apple.pkpass';

/**
 * Apple Wallet (E9-F4): the fan's .pkpass, and the pass web service Wallet calls with the
 * pass's `ApplePass <token>` (Apple's protocol, under /wallet/apple/v1): register and
 * unregister a device, the serial numbers updated since a tag, the latest pass, logs.
 */
export const appleWalletPublicRoutes: RouteRegistrar = (app, deps) => {
  app.get(
    '/tickets/:id/wallet/apple',
    {
      config: { access: 'authenticated', problems: ['NOT_FOUND', 'WALLET_NOT_CONFIGURED'] },
      schema: {
        tags: ['wallet'],
        summary: "One of the caller's tickets as a signed Apple Wallet pass (.pkpass)",
        params: ticketParams,
      },
    },
    async (request, reply) => {
      const pass = await getApplePass(deps, requireUser(request).userId, request.params.id);
      return reply
        .type(PKPASS_TYPE)
        .header('content-disposition', `attachment; filename="hns-${request.params.id}.pkpass"`)
        .header('last-modified', pass.updatedAt.toUTCString())
        .header('cache-control', 'private, no-store')
        .send(pass.body);
    },
  );

  const webService = {
    access: 'public' as const,
    problems: ['NOT_FOUND', 'WALLET_NOT_CONFIGURED', 'WALLET_PASS_AUTH_INVALID'] as const,
  };

  app.post(
    '/wallet/apple/v1/devices/:device/registrations/:passType/:serial',
    {
      config: webService,
      schema: {
        tags: ['wallet'],
        summary: 'Apple pass web service: a device registers for updates of a pass',
        params: registrationParams,
        headers: authHeaders,
        body: registrationBody,
        response: { 200: z.object({}), 201: z.object({}) },
      },
    },
    async (request, reply) => {
      const outcome = await registerDevice(deps, {
        device: request.params.device,
        passType: request.params.passType,
        ticketId: request.params.serial,
        pushToken: request.body.pushToken,
        authorization: request.headers.authorization,
      });
      return reply.code(outcome === 'created' ? 201 : 200).send({});
    },
  );

  app.delete(
    '/wallet/apple/v1/devices/:device/registrations/:passType/:serial',
    {
      config: webService,
      schema: {
        tags: ['wallet'],
        summary: 'Apple pass web service: a device stops receiving updates of a pass',
        params: registrationParams,
        headers: authHeaders,
        response: { 200: z.object({}) },
      },
    },
    async (request) => {
      await unregisterDevice(deps, {
        device: request.params.device,
        passType: request.params.passType,
        ticketId: request.params.serial,
        authorization: request.headers.authorization,
      });
      return {};
    },
  );

  app.get(
    '/wallet/apple/v1/devices/:device/registrations/:passType',
    {
      config: { access: 'public' },
      schema: {
        tags: ['wallet'],
        summary: "Apple pass web service: the device's passes updated since a tag (204: none)",
        params: deviceParams,
        querystring: updatedQuery,
        response: { 200: updatedSerialsSchema, 204: z.null() },
      },
    },
    async (request, reply) => {
      const result = await updatedSerials(deps, {
        device: request.params.device,
        passType: request.params.passType,
        since: request.query.passesUpdatedSince,
      });
      return result ? result : reply.code(204).send(null);
    },
  );

  app.get(
    '/wallet/apple/v1/passes/:passType/:serial',
    {
      config: webService,
      schema: {
        tags: ['wallet'],
        summary: 'Apple pass web service: the latest version of a pass (304: unchanged)',
        params: passParams,
        headers: authHeaders.extend({ 'if-modified-since': z.string().max(100).optional() }),
      },
    },
    async (request, reply) => {
      const pass = await latestPass(deps, {
        passType: request.params.passType,
        ticketId: request.params.serial,
        authorization: request.headers.authorization,
        ifModifiedSince: request.headers['if-modified-since'],
      });
      if (!pass) return reply.code(304).send();
      return reply
        .type(PKPASS_TYPE)
        .header('last-modified', pass.updatedAt.toUTCString())
        .send(pass.body);
    },
  );

  app.post(
    '/wallet/apple/v1/log',
    {
      config: { access: 'public' },
      schema: {
        tags: ['wallet'],
        summary: 'Apple pass web service: devices report problems with a pass',
        body: logBody,
        response: { 200: z.object({}) },
      },
    },
    async (request) => {
      logFromDevices(deps, request.body.logs);
      return {};
    },
  );
};
