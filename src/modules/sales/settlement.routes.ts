import { z } from 'zod';
import type { RouteRegistrar } from '../../api/surface.ts';
import { handleStripeWebhook } from './settlement.service.ts';

/**
 * POST /webhooks/stripe. The signature covers the exact bytes Stripe sent, so this route
 * lives in its own plugin context whose JSON parser keeps the raw body (a Buffer) instead
 * of parsing it; every other route keeps the normal parser.
 */
export const settlementWebhookRoutes: RouteRegistrar = async (app, deps) => {
  await app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser(
      ['application/json', 'text/plain'],
      { parseAs: 'buffer' },
      (_request, body, done) => done(null, body),
    );
    scope.post(
      '/stripe',
      {
        config: { access: 'public', problems: ['WEBHOOK_SIGNATURE_INVALID'] },
        schema: {
          tags: ['webhooks'],
          summary:
            'Stripe events (signature-verified): payment_intent.succeeded / payment_failed, refund.updated / refund.failed / charge.refunded',
          response: {
            200: z.object({ received: z.literal(true), outcome: z.string() }),
          },
        },
      },
      async (request) => {
        const signature = request.headers['stripe-signature'];
        return handleStripeWebhook(
          deps,
          Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
          typeof signature === 'string' ? signature : undefined,
        );
      },
    );
  });
};
