import type { RouteRegistrar } from '../../api/surface.ts';
import { requireUser } from '../../platform/http/auth.ts';
import { quotaIdParams } from './quotas.schemas.ts';
import {
  createSubquotaBody,
  retractResponse,
  subquotaIdParams,
  subquotaList,
  subquotaSchema,
} from './subquotas.schemas.ts';
import { createSubquota, listSubquotas, retractSubquota } from './subquotas.service.ts';

/** Sub-quotas (E7-F6): pass seats of your quota on, list them, retract an unclaimed one. */
export const quotaSubquotaRoutes: RouteRegistrar = (app, deps) => {
  app.post(
    '/quotas/:id/subquotas',
    {
      config: {
        access: ['QUOTA_HOLDER'],
        problems: [
          'NOT_FOUND',
          'SUBQUOTAS_NOT_ALLOWED',
          'QUOTA_CLOSED',
          'QUOTA_SEAT_UNAVAILABLE',
          'QUOTA_SEATS_INSUFFICIENT',
        ],
      },
      schema: {
        summary: 'Pass seats of your quota on to someone else (E7-F6)',
        description:
          'Only when the quota has can_create_subquotas (403 SUBQUOTAS_NOT_ALLOWED otherwise). The seats picked (or the first free ones) become DELEGATED; a seat is in at most one sub-quota, so of two concurrent sub-quotas over a seat one wins and the other answers 409. The sub-recipient is emailed a deep link and, with an account, pushed.',
        params: quotaIdParams,
        body: createSubquotaBody,
        response: { 201: subquotaSchema },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(
          await createSubquota(deps, requireUser(request).userId, request.params.id, request.body),
        ),
  );

  app.get(
    '/quotas/:id/subquotas',
    {
      config: { access: ['QUOTA_HOLDER'], problems: ['NOT_FOUND'] },
      schema: {
        summary: "Your quota's sub-quotas",
        params: quotaIdParams,
        response: { 200: subquotaList },
      },
    },
    async (request) => listSubquotas(deps, requireUser(request).userId, request.params.id),
  );

  app.delete(
    '/subquotas/:id',
    {
      config: { access: ['QUOTA_HOLDER'], problems: ['NOT_FOUND', 'SUBQUOTA_NOT_RETRACTABLE'] },
      schema: {
        summary: 'Retract an ALLOCATED sub-quota: its seats return to your quota',
        description:
          'Only while nothing of it is claimed (status ALLOCATED; otherwise 400 SUBQUOTA_NOT_RETRACTABLE).',
        params: subquotaIdParams,
        response: { 200: retractResponse },
      },
    },
    async (request) => retractSubquota(deps, requireUser(request).userId, request.params.id),
  );
};
