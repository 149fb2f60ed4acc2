import { z } from 'zod';
import type { RouteRegistrar } from '../../api/surface.ts';
import { requireUser } from '../../platform/http/auth.ts';
import {
  checkQuery,
  checkResponse,
  createEntryBody,
  createdEntrySchema,
  entrySchema,
  listQuery,
  listResponse,
  removeEntryBody,
} from './blacklist.schemas.ts';
import { checkOib, createEntry, listBlacklist, removeEntry } from './blacklist.service.ts';

/**
 * Who may do what:
 * - adding and lifting bans changes who may enter a stadium, so it is a supervisor's act
 *   (SUPPORT_SUPERVISOR; SUPER_ADMIN passes every check);
 * - support agents may read the list to answer fans;
 * - the check (/internal) is for staff and services acting on a purchase: support agents
 *   and supervisors, and petrol-station staff selling tickets (E10). A service calls it with
 *   a service account's access token holding one of these roles. It answers a boolean and
 *   the MUP message only, never who the person is.
 */
export const blacklistAdminRoutes: RouteRegistrar = (app, deps) => {
  app.get(
    '/blacklist',
    {
      config: { access: ['SUPPORT_AGENT', 'SUPPORT_SUPERVISOR'] },
      schema: {
        summary: 'List blacklist entries (OIB masked)',
        querystring: listQuery,
        response: { 200: listResponse },
      },
    },
    async (request) => listBlacklist(deps, request.query),
  );

  app.post(
    '/blacklist',
    {
      config: { access: ['SUPPORT_SUPERVISOR'], problems: ['OIB_INVALID'] },
      schema: {
        summary: 'Add a person to the blacklist (E11-F1); a removed entry is restored',
        description:
          'The answer lists the existing tickets of the person (affected, E11-F4); confirm their cancellation with POST /admin/blacklist/{id}/cancel-tickets.',
        body: createEntryBody,
        response: { 201: createdEntrySchema },
      },
    },
    async (request, reply) => {
      const entry = await createEntry(deps, requireUser(request).userId, request.body);
      return reply.status(201).send(entry);
    },
  );

  app.post(
    '/blacklist/:id/remove',
    {
      config: { access: ['SUPPORT_SUPERVISOR'], problems: ['NOT_FOUND'] },
      schema: {
        summary: 'Lift a ban: the entry becomes REMOVED, with reason and audit trail',
        params: z.object({ id: z.uuid() }),
        body: removeEntryBody,
        response: { 200: entrySchema },
      },
    },
    async (request) =>
      removeEntry(deps, requireUser(request).userId, request.params.id, request.body.reason),
  );
};

export const blacklistInternalRoutes: RouteRegistrar = (app, deps) => {
  app.get(
    '/blacklist/check',
    {
      config: {
        access: ['SUPPORT_AGENT', 'SUPPORT_SUPERVISOR', 'PETROL_STAFF'],
        problems: ['OIB_INVALID'],
      },
      schema: {
        summary: 'Is this OIB blacklisted? (E11-F3) With the MUP referral message when it is',
        querystring: checkQuery,
        response: { 200: checkResponse },
      },
    },
    async (request) => checkOib(deps, request.query.oib),
  );
};
