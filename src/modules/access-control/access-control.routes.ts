import type { FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { RouteRegistrar } from '../../api/surface.ts';
import type { Role } from '../../platform/auth/roles.ts';
import { AppError } from '../../platform/errors.ts';
import { requireUser } from '../../platform/http/auth.ts';
import { acceptUploads, uploadOf } from '../../platform/http/uploads.ts';
import * as s from './access-control.schemas.ts';
import { closeMatchWithAttendance, getAttendance } from './closure.service.ts';
import { accessControlStatus, exportAccessControl, type Actor } from './export.service.ts';

/**
 * Match day (admin surface, MATCH_MANAGER): the turnstile export before the gates open
 * (E2-F8, E13-F1) and the closure with the scanned list afterwards (E2-F9, E13-F2).
 */

const MANAGERS: readonly Role[] = ['MATCH_MANAGER'];
const tags = ['access-control'];
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
/** What a browser or script may send a .xlsx or .csv upload as. */
const UPLOAD_TYPES = [
  XLSX,
  'text/csv',
  'application/csv',
  'application/vnd.ms-excel',
  'text/plain',
  'application/octet-stream',
];

const actorOf = (request: FastifyRequest): Actor => ({
  userId: requireUser(request).userId,
  context: { request_id: request.id, ip: request.ip },
});

export const accessControlAdminRoutes: RouteRegistrar = async (app, deps) => {
  app.get(
    '/matches/:id/access-control-export',
    {
      config: { access: MANAGERS, problems: ['NOT_FOUND', 'MATCH_NOT_EXPORTABLE'] },
      schema: {
        tags,
        summary: 'The turnstile export: an .xlsx with one column of barcodes (E2-F8, E13-F1)',
        description:
          'Every valid ticket of the match plus its unused extra codes (topped up to ' +
          '`extra_codes`, default 1000) for tickets issued later, one text cell per row under ' +
          'the header `barcode`; no personal data. File name ' +
          '`MatchID_TicketExport_YYYYMMDD_HHMM.xlsx` (Croatian time) in Content-Disposition. ' +
          'Logged in barcode_export_logs. Streamed. 409 MATCH_NOT_EXPORTABLE unless the ' +
          'match is PUBLISHED or ACTIVE.',
        params: s.matchIdParams,
        querystring: s.exportQuery,
      },
    },
    async (request, reply) => {
      const result = await exportAccessControl(deps, actorOf(request), request.params.id, {
        extraCodes: request.query.extra_codes,
      });
      return reply
        .type(XLSX)
        .header('content-disposition', `attachment; filename="${result.fileName}"`)
        .header('cache-control', 'no-store')
        .header('x-export-id', result.exportId)
        .header('x-ticket-barcodes', String(result.ticketBarcodes))
        .header('x-extra-barcodes', String(result.extraBarcodes))
        .send(result.stream);
    },
  );

  app.get(
    '/matches/:id/access-control-export/status',
    {
      config: { access: MANAGERS, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Exports so far, extra codes left, and whether a new export is needed',
        description:
          'warnings: NEW_EXPORT_NEEDED when tickets were issued after the last export with ' +
          'no extra code left (their barcodes are unknown to the gates); ' +
          'EXTRA_CODES_EXHAUSTED when no extra code is left.',
        params: s.matchIdParams,
        response: { 200: s.exportStatusOut },
      },
    },
    async (request) => accessControlStatus(deps, request.params.id),
  );

  // The closure takes the file as the request body, so its scope reads those types raw.
  await app.register(async (plain) => {
    const scope = plain.withTypeProvider<ZodTypeProvider>();
    acceptUploads(scope, { types: UPLOAD_TYPES, maxBytes: deps.config.ATTENDANCE_FILE_MAX_BYTES });
    scope.post(
      '/matches/:id/close',
      {
        bodyLimit: deps.config.ATTENDANCE_FILE_MAX_BYTES,
        config: {
          access: MANAGERS,
          problems: [
            'NOT_FOUND',
            'MATCH_ALREADY_CLOSED',
            'INVALID_STATUS_TRANSITION',
            'ATTENDANCE_FILE_INVALID',
          ],
        },
        schema: {
          tags,
          summary: 'Close the match with its attendance (E2-F9, E13-F2)',
          description:
            'Body: the scanned list as .xlsx or CSV (Content-Type ' +
            `${XLSX}, text/csv or application/octet-stream; \`file_name\` names it), with a ` +
            'header row naming a `barcode` and a `scan_time` column (ISO 8601, or Croatian ' +
            'local time). One transaction: the match becomes CLOSED, scanned tickets ' +
            'ATTENDED, unmatched barcodes are stored with NOT_FOUND, ALREADY_CANCELLED or ' +
            'INVALID_FORMAT, attendance_imports gets the counts, the loyalty award is queued. ' +
            'Without attendance data: JSON `{"reason": "…"}`, and every valid ticket becomes ' +
            'ATTENDED. 422 ATTENDANCE_FILE_INVALID names the row or the cause (not a ' +
            'spreadsheet, empty, wrong columns, bad scan time, too many rows); 413 beyond ' +
            'ATTENDANCE_FILE_MAX_BYTES; 409 MATCH_ALREADY_CLOSED; 400 ' +
            'INVALID_STATUS_TRANSITION unless the match is ACTIVE. Nothing is written on a refusal.',
          params: s.matchIdParams,
          querystring: s.closeQuery,
          response: { 200: s.closeOut },
        },
      },
      async (request) => {
        const upload = uploadOf(request);
        if (upload) {
          const xlsx = upload.bytes.subarray(0, 2).toString('latin1') === 'PK';
          return closeMatchWithAttendance(deps, actorOf(request), request.params.id, {
            file: {
              name:
                request.query.file_name ??
                upload.filename ??
                (xlsx ? 'attendance.xlsx' : 'attendance.csv'),
              bytes: upload.bytes,
            },
          });
        }
        const parsed = s.closeWithoutDataBody.safeParse(request.body ?? {});
        if (!parsed.success) {
          throw new AppError('VALIDATION_FAILED', 'Send the attendance file, or a reason', {
            errors: parsed.error.issues.map((i) => ({
              field: ['body', ...i.path.map(String)].join('.'),
              message: i.message,
            })),
          });
        }
        return closeMatchWithAttendance(deps, actorOf(request), request.params.id, {
          reason: parsed.data.reason,
        });
      },
    );
  });

  app.get(
    '/matches/:id/attendance',
    {
      config: { access: MANAGERS, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: "A closed match's attendance import and its unmatched barcodes (E13-F2)",
        params: s.matchIdParams,
        querystring: s.attendanceQuery,
        response: { 200: s.attendanceOut },
      },
    },
    async (request) => getAttendance(deps, request.params.id, request.query),
  );
};
