import { z } from 'zod';
import type { RouteRegistrar } from '../../api/surface.ts';
import { requireUser } from '../../platform/http/auth.ts';
import {
  createDebtorBody,
  debtorSchema,
  listDebtorsQuery,
  listDebtorsResponse,
  updateDebtorBody,
} from './debtors.schemas.ts';
import {
  createDebtor,
  deleteDebtor,
  getDebtor,
  listDebtors,
  updateDebtor,
} from './debtors.service.ts';

/** Debtors (E8-F4) are finance's (FINANCE; SUPER_ADMIN passes every check). */
const access = ['FINANCE'] as const;
const params = z.object({ id: z.uuid() });

export const debtorAdminRoutes: RouteRegistrar = (app, deps) => {
  app.get(
    '/debtors',
    {
      config: { access },
      schema: {
        summary: 'List debtors (E8-F4)',
        querystring: listDebtorsQuery,
        response: { 200: listDebtorsResponse },
      },
    },
    async (request) => listDebtors(deps, request.query),
  );
  app.post(
    '/debtors',
    {
      config: { access, problems: ['OIB_INVALID', 'DEBTOR_OIB_TAKEN'] },
      schema: {
        summary: 'Create a debtor (deferred payment, E8-F4)',
        body: createDebtorBody,
        response: { 201: debtorSchema },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createDebtor(deps, requireUser(request).userId, request.body)),
  );
  app.get(
    '/debtors/:id',
    {
      config: { access, problems: ['NOT_FOUND'] },
      schema: { summary: 'A debtor', params, response: { 200: debtorSchema } },
    },
    async (request) => getDebtor(deps, request.params.id),
  );
  app.patch(
    '/debtors/:id',
    {
      config: { access, problems: ['NOT_FOUND', 'OIB_INVALID', 'DEBTOR_OIB_TAKEN'] },
      schema: {
        summary: 'Change a debtor',
        params,
        body: updateDebtorBody,
        response: { 200: debtorSchema },
      },
    },
    async (request) =>
      updateDebtor(deps, requireUser(request).userId, request.params.id, request.body),
  );
  app.delete(
    '/debtors/:id',
    {
      config: { access, problems: ['NOT_FOUND', 'DEBTOR_IN_USE'] },
      schema: {
        summary: 'Delete a debtor without payment offers',
        params,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await deleteDebtor(deps, requireUser(request).userId, request.params.id);
      return reply.status(204).send(null);
    },
  );
};
