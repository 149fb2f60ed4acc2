import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteRegistrar } from '../../api/surface.ts';
import { AppError } from '../../platform/errors.ts';
import { requireUser } from '../../platform/http/auth.ts';
import { acceptUploads, uploadOf } from '../../platform/http/uploads.ts';
import {
  assignBody,
  assignResult,
  documentList,
  matchParams,
  uploadQuery,
  uploadResult,
} from './away-pdf.schemas.ts';
import {
  assignPdfTicket,
  listPdfTickets,
  openExternalPdf,
  uploadPdfTickets,
} from './away-pdf.service.ts';

const MANAGERS = ['MATCH_MANAGER'] as const;

/**
 * Away-match PDF tickets (E9-F6), admin side: the host's file is the raw request body
 * (`application/pdf`, or `application/zip` for a zip of PDFs), limited to AWAY_PDF_MAX_BYTES.
 */
export const awayPdfAdminRoutes: RouteRegistrar = async (app, deps) => {
  await app.register(async (plain) => {
    const scope = plain.withTypeProvider<ZodTypeProvider>();
    acceptUploads(scope, {
      types: [
        'application/pdf',
        'application/zip',
        'application/x-zip-compressed',
        'application/octet-stream',
      ],
      maxBytes: deps.config.AWAY_PDF_MAX_BYTES,
    });
    scope.post(
      '/matches/:id/upload-pdf-tickets',
      {
        bodyLimit: deps.config.AWAY_PDF_MAX_BYTES,
        config: {
          access: [...MANAGERS],
          problems: [
            'NOT_FOUND',
            'NOT_AN_AWAY_MATCH',
            'PDF_INVALID',
            'PDF_ENCRYPTED',
            'ZIP_LIMITS_EXCEEDED',
            'PDF_ALREADY_UPLOADED',
          ],
        },
        schema: {
          tags: ['wallet'],
          summary: "The host federation's PDF tickets of an away match, matched to its tickets",
          description:
            'Body: a multi-page PDF (one ticket per page) or a zip of PDFs, as application/pdf ' +
            'or application/zip. Each page is matched by holder name (case, diacritics and ' +
            'order of names do not matter) or seat; matched tickets get the PDF (their QR is ' +
            'hidden) and an email with it; ambiguous and unmatched pages wait for …/pdf-tickets/assign.',
          params: matchParams,
          querystring: uploadQuery,
          response: { 200: uploadResult },
        },
      },
      async (request) => {
        const upload = uploadOf(request);
        if (!upload) {
          throw new AppError('PDF_INVALID', 'Send the file as application/pdf or application/zip');
        }
        return uploadPdfTickets(
          deps,
          requireUser(request).userId,
          request.params.id,
          upload.bytes,
          request.query.filename ?? upload.filename,
        );
      },
    );
  });

  app.post(
    '/matches/:id/pdf-tickets/assign',
    {
      config: {
        access: [...MANAGERS],
        problems: ['NOT_FOUND', 'PDF_ALREADY_ASSIGNED', 'TICKET_NOT_OF_MATCH'],
      },
      schema: {
        tags: ['wallet'],
        summary: 'Assign an ambiguous or unmatched host PDF page to a ticket of the match',
        params: matchParams,
        body: assignBody,
        response: { 200: assignResult },
      },
    },
    async (request) =>
      assignPdfTicket(deps, requireUser(request).userId, request.params.id, request.body),
  );

  app.get(
    '/matches/:id/pdf-tickets',
    {
      config: { access: [...MANAGERS], problems: ['NOT_FOUND'] },
      schema: {
        tags: ['wallet'],
        summary: "The match's host PDF pages: outcome, ticket, and the holder email's send state",
        params: matchParams,
        response: { 200: documentList },
      },
    },
    async (request) => listPdfTickets(deps, request.params.id),
  );
};

/** The fan's host PDF of an away match. */
export const awayPdfPublicRoutes: RouteRegistrar = (app, deps) => {
  app.get(
    '/tickets/:id/external-pdf',
    {
      config: { access: 'authenticated', problems: ['NOT_FOUND'] },
      schema: {
        tags: ['wallet'],
        summary: "The host federation's PDF ticket of one of the caller's away-match tickets",
        params: z.object({ id: z.uuid() }),
      },
    },
    async (request, reply) => {
      const pdf = await openExternalPdf(deps, requireUser(request).userId, request.params.id);
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="hns-${request.params.id}.pdf"`)
        .header('cache-control', 'private, no-store')
        .send(pdf);
    },
  );
};
