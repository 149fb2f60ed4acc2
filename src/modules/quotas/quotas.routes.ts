import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { RouteRegistrar } from '../../api/surface.ts';
import { requireUser } from '../../platform/http/auth.ts';
import { acceptUploads, uploadOf } from '../../platform/http/uploads.ts';
import {
  ALLOCATION_DESCRIPTION,
  cancelQuotaQuery,
  cancelQuotaResponse,
  createQuotaBody,
  listQuotasQuery,
  listQuotasResponse,
  quotaIdParams,
  quotaSchema,
} from './quotas.schemas.ts';
import { IMPORT_DESCRIPTION, importQuery, importResponse } from './import.schemas.ts';
import { importInput, importQuotas } from './import.service.ts';
import { cancelQuota, createQuota, getQuota, listQuotas } from './quotas.service.ts';

/** Quota administration for match managers (E7-F1 … E7-F3, E7-F7). */
export const quotaAdminRoutes: RouteRegistrar = async (app, deps) => {
  // The CSV import takes the file as the body (text/csv) or as the one file of a multipart
  // form, kept as bytes: its own plugin context, so no other route accepts CSV or forms.
  await app.register(async (instance) => {
    const scope = instance.withTypeProvider<ZodTypeProvider>();
    acceptUploads(scope, { types: ['text/csv'], maxBytes: deps.config.BODY_LIMIT_BYTES });
    scope.post(
      '/quotas/import',
      {
        config: {
          access: ['MATCH_MANAGER'],
          problems: [
            'QUOTA_IMPORT_FILE_INVALID',
            'UPLOAD_INVALID',
            'MATCH_NOT_FOUND',
            'QUOTA_MATCH_CLOSED',
            'CONFIG_NOT_LOCKED',
          ],
        },
        schema: {
          summary: 'Import quotas from a CSV file, for one or several matches (E7-F2, E7-F3)',
          description: IMPORT_DESCRIPTION,
          querystring: importQuery,
          response: { 200: importResponse, 201: importResponse },
        },
      },
      async (request, reply) => {
        const input = importInput(request.query, uploadOf(request));
        const result = await importQuotas(deps, requireUser(request).userId, input);
        return reply.status(result.status).send(result.body);
      },
    );
  });

  app.post(
    '/quotas',
    {
      config: {
        access: ['MATCH_MANAGER'],
        problems: [
          'MATCH_NOT_FOUND',
          'QUOTA_MATCH_CLOSED',
          'CONFIG_NOT_LOCKED',
          'QUOTA_SECTOR_INVALID',
          'QUOTA_SEATS_INSUFFICIENT',
          'QUOTA_TYPE_PETROL',
        ],
      },
      schema: {
        summary: 'Create a quota: its seats are allocated at once and leave public sale (E7-F1)',
        description: ALLOCATION_DESCRIPTION,
        body: createQuotaBody,
        response: { 201: quotaSchema },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createQuota(deps, requireUser(request).userId, request.body)),
  );

  app.get(
    '/quotas',
    {
      config: { access: ['MATCH_MANAGER'] },
      schema: {
        summary: "A match's quotas",
        querystring: listQuotasQuery,
        response: { 200: listQuotasResponse },
      },
    },
    async (request) => listQuotas(deps, request.query.match_id),
  );

  app.get(
    '/quotas/:id',
    {
      config: { access: ['MATCH_MANAGER'], problems: ['NOT_FOUND'] },
      schema: {
        summary: 'A quota with its seats',
        params: quotaIdParams,
        response: { 200: quotaSchema },
      },
    },
    async (request) => getQuota(deps, request.params.id),
  );

  app.delete(
    '/quotas/:id',
    {
      config: {
        access: ['MATCH_MANAGER'],
        problems: ['NOT_FOUND', 'QUOTA_NOT_CANCELLABLE', 'QUOTA_TYPE_PETROL'],
      },
      schema: {
        summary: 'Cancel a quota: its unused seats go back to public sale (E7-F7)',
        description:
          'all_unused: ALLOCATED, RESERVED (claims in progress are abandoned) and DELEGATED seats (sub-quotas cancelled) become AVAILABLE; unfulfilled_only: only ALLOCATED seats. Sold quota tickets are never touched. The holder is emailed.',
        params: quotaIdParams,
        querystring: cancelQuotaQuery,
        response: { 200: cancelQuotaResponse },
      },
    },
    async (request) =>
      cancelQuota(deps, requireUser(request).userId, request.params.id, request.query.option),
  );
};
