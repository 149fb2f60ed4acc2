import type { RouteRegistrar } from '../../api/surface.ts';
import { requireUser } from '../../platform/http/auth.ts';
import { searchBody, searchResponse } from './lookup.schemas.ts';
import { searchSupportTickets } from './lookup.service.ts';

/** The support desk: SUPPORT_AGENT and SUPPORT_SUPERVISOR (SUPER_ADMIN passes every check). */
export const SUPPORT_STAFF = ['SUPPORT_AGENT', 'SUPPORT_SUPERVISOR'] as const;

export const supportLookupAdminRoutes: RouteRegistrar = (app, deps) => {
  app.post(
    '/tickets/search',
    {
      config: {
        access: SUPPORT_STAFF,
        problems: ['SEARCH_CRITERIA_REQUIRED', 'OIB_INVALID'],
      },
      schema: {
        tags: ['support'],
        summary: 'Find tickets by OIB, order number, email, phone, match or barcode (E10-F1)',
        description:
          'Every criterion given must hold. The criteria travel in the body, never the URL, so ' +
          'no access log holds an OIB, email or phone (the spec names GET; a POST keeps the ' +
          'personal data out of the logged query string). Each search is audited with the ' +
          'agent and the masked criteria.',
        body: searchBody,
        response: { 200: searchResponse },
      },
    },
    async (request) => searchSupportTickets(deps, requireUser(request).userId, request.body),
  );
};
