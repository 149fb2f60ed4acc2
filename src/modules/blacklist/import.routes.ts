import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { RouteRegistrar } from '../../api/surface.ts';
import { requireUser } from '../../platform/http/auth.ts';
import { acceptUploads, uploadOf } from '../../platform/http/uploads.ts';
import {
  IMPORT_DESCRIPTION,
  IMPORT_MAX_BYTES,
  importQuery,
  importResponse,
} from './import.schemas.ts';
import { getImportBatch, importBlacklist } from './import.service.ts';

/** The MUP's CSV list (E11-F2): a supervisor's act, like adding one person by hand. */
export const blacklistImportRoutes: RouteRegistrar = async (app, deps) => {
  // Its own plugin context: only this route takes a CSV body or a multipart form.
  await app.register(async (instance) => {
    const scope = instance.withTypeProvider<ZodTypeProvider>();
    acceptUploads(scope, { types: ['text/csv', 'text/plain'], maxBytes: IMPORT_MAX_BYTES });
    scope.post(
      '/blacklist/import',
      {
        config: {
          access: ['SUPPORT_SUPERVISOR'],
          problems: ['BLACKLIST_IMPORT_FILE_INVALID', 'UPLOAD_INVALID', 'PAYLOAD_TOO_LARGE'],
        },
        schema: {
          summary: 'Import the police blacklist from a CSV file (E11-F2, E11-F4)',
          description: IMPORT_DESCRIPTION,
          querystring: importQuery,
          response: { 200: importResponse, 201: importResponse },
        },
      },
      async (request, reply) => {
        const upload = uploadOf(request);
        const result = await importBlacklist(deps, requireUser(request).userId, {
          bytes: upload?.bytes ?? Buffer.alloc(0),
          fileName: request.query.file_name ?? upload?.filename ?? null,
        });
        return reply.status(result.status).send(result.body);
      },
    );
  });

  app.get(
    '/blacklist/imports/:id',
    {
      config: { access: ['SUPPORT_AGENT', 'SUPPORT_SUPERVISOR'], problems: ['NOT_FOUND'] },
      schema: {
        summary: "An import's summary, line errors and the tickets of its people (E11-F2)",
        params: z.object({ id: z.uuid() }),
        response: { 200: importResponse },
      },
    },
    async (request) => getImportBatch(deps, request.params.id),
  );
};
