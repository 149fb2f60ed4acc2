import { z } from 'zod';
import type { RouteRegistrar } from '../../api/surface.ts';
import { passAssets, PASS_ASSETS } from './branding.ts';
import { requireUser } from '../../platform/http/auth.ts';
import { ticketParams } from './apple.schemas.ts';
import { googleSaveLink } from './google.schemas.ts';
import { getGoogleSaveLink } from './google.service.ts';

/** Google Wallet (E9-F4): the fan's "save to Google Wallet" link. */
export const googleWalletPublicRoutes: RouteRegistrar = (app, deps) => {
  app.get(
    '/tickets/:id/wallet/google',
    {
      config: { access: 'authenticated', problems: ['NOT_FOUND', 'WALLET_NOT_CONFIGURED'] },
      schema: {
        tags: ['wallet'],
        summary: "A 'save to Google Wallet' link for one of the caller's tickets",
        params: ticketParams,
        response: { 200: googleSaveLink },
      },
    },
    async (request) => getGoogleSaveLink(deps, requireUser(request).userId, request.params.id),
  );
};

/** The HNS pass images, public (Google Wallet fetches the class logo from here). */
export const walletAssetRoutes: RouteRegistrar = (app) => {
  app.get(
    '/wallet/assets/:name',
    {
      config: { access: 'public', problems: ['NOT_FOUND'] },
      schema: {
        tags: ['wallet'],
        summary: 'HNS branding images of the wallet passes (PNG)',
        params: z.object({ name: z.enum(Object.keys(PASS_ASSETS) as [string, ...string[]]) }),
      },
    },
    async (request, reply) =>
      reply
        .type('image/png')
        .header('cache-control', 'public, max-age=86400')
        .send(passAssets()[request.params.name]),
  );
};
