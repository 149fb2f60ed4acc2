import { z } from 'zod';
import type { RouteRegistrar } from '../../api/surface.ts';
import { requireUser } from '../../platform/http/auth.ts';
import { affectedSchema, cancelResponse, CONFIRM_DESCRIPTION } from './auto-cancel.schemas.ts';
import {
  confirmBatchCancellation,
  confirmEntryCancellation,
  previewEntry,
} from './auto-cancel.service.ts';

/**
 * E11-F4: the list of a listed person's tickets (agents may read it), and the confirmation
 * that cancels them (a supervisor's act, as adding the ban).
 */
export const blacklistAutoCancelRoutes: RouteRegistrar = (app, deps) => {
  const params = z.object({ id: z.uuid() });

  app.get(
    '/blacklist/:id/tickets',
    {
      config: { access: ['SUPPORT_AGENT', 'SUPPORT_SUPERVISOR'], problems: ['NOT_FOUND'] },
      schema: {
        summary: "A blacklisted person's existing tickets and open orders (E11-F4)",
        params,
        response: { 200: affectedSchema },
      },
    },
    async (request) => previewEntry(deps, request.params.id),
  );

  app.post(
    '/blacklist/:id/cancel-tickets',
    {
      config: {
        access: ['SUPPORT_SUPERVISOR'],
        problems: ['NOT_FOUND', 'BLACKLIST_ENTRY_NOT_ACTIVE'],
      },
      schema: {
        summary: "Confirm: cancel a blacklisted person's tickets without refund (E11-F4)",
        description: CONFIRM_DESCRIPTION,
        params,
        response: { 200: cancelResponse },
      },
    },
    async (request) =>
      confirmEntryCancellation(deps, requireUser(request).userId, request.params.id),
  );

  app.post(
    '/blacklist/imports/:id/cancel-tickets',
    {
      config: { access: ['SUPPORT_SUPERVISOR'], problems: ['NOT_FOUND'] },
      schema: {
        summary: "Confirm once for an import: cancel all its people's tickets (E11-F4)",
        description: CONFIRM_DESCRIPTION,
        params,
        response: { 200: cancelResponse },
      },
    },
    async (request) =>
      confirmBatchCancellation(deps, requireUser(request).userId, request.params.id),
  );
};
