import { z } from 'zod';
import type { RouteRegistrar } from '../../api/surface.ts';
import { requireUser } from '../../platform/http/auth.ts';
import {
  deviceParams,
  emailTemplateList,
  emailTemplateListQuery,
  emailTemplateOut,
  emailTemplateParams,
  emailTemplateUpdate,
  mailgunWebhookBody,
  mailgunWebhookResult,
  pushTokenIn,
  pushTokenOut,
} from './notifications.schemas.ts';
import * as service from './notifications.service.ts';

/**
 * Template editing changes what every customer receives, so it is a SUPER_ADMIN action
 * (there is no narrower staff role for communications in the spec).
 */
const TEMPLATE_ADMINS = ['SUPER_ADMIN'] as const;

/** Admin surface (/admin): E15-F1 template management. */
export const notificationAdminRoutes: RouteRegistrar = (app, deps) => {
  app.get(
    '/email-templates',
    {
      config: { access: TEMPLATE_ADMINS },
      schema: {
        summary: 'List email templates (one per key and locale)',
        querystring: emailTemplateListQuery,
        response: { 200: emailTemplateList },
      },
    },
    async (request) => service.listEmailTemplates(deps, request.query),
  );

  app.get(
    '/email-templates/:id',
    {
      config: { access: TEMPLATE_ADMINS, problems: ['NOT_FOUND'] },
      schema: {
        summary: 'An email template',
        params: emailTemplateParams,
        response: { 200: emailTemplateOut },
      },
    },
    async (request) => service.getEmailTemplate(deps, request.params.id),
  );

  app.put(
    '/email-templates/:id',
    {
      config: { access: TEMPLATE_ADMINS, problems: ['NOT_FOUND'] },
      schema: {
        summary: 'Edit an email template; texts may use only its declared variables',
        params: emailTemplateParams,
        body: emailTemplateUpdate,
        response: { 200: emailTemplateOut },
      },
    },
    async (request) =>
      service.updateEmailTemplate(
        deps,
        requireUser(request).userId,
        request.params.id,
        request.body,
        {
          request_id: request.id,
          ip: request.ip,
          user_agent: request.headers['user-agent'] ?? null,
        },
      ),
  );
};

/** Public surface: E15-F2 device registration for push. */
export const notificationPublicRoutes: RouteRegistrar = (app, deps) => {
  app.post(
    '/users/me/push-tokens',
    {
      config: { access: 'authenticated' },
      schema: {
        summary: 'Register this device for push notifications (re-registering updates it)',
        body: pushTokenIn,
        response: { 201: pushTokenOut },
      },
    },
    async (request, reply) => {
      const token = await service.registerPushToken(
        deps,
        requireUser(request).userId,
        request.body,
      );
      return reply.status(201).send(token);
    },
  );

  app.delete(
    '/users/me/push-tokens/:device_id',
    {
      config: { access: 'authenticated', problems: ['NOT_FOUND'] },
      schema: {
        summary: 'Stop push notifications to this device (e.g. on logout)',
        params: deviceParams,
        response: { 204: z.null().describe('Removed') },
      },
    },
    async (request, reply) => {
      await service.removePushToken(deps, requireUser(request).userId, request.params.device_id);
      return reply.status(204).send(null);
    },
  );
};

/** Webhooks surface (/webhooks): Mailgun delivery events, verified by signature. */
export const notificationWebhookRoutes: RouteRegistrar = (app, deps) => {
  app.post(
    '/mailgun',
    {
      config: { access: 'public', problems: ['WEBHOOK_SIGNATURE_INVALID'] },
      schema: {
        summary: 'Mailgun delivery events (delivered / permanent failure) for sent emails',
        body: mailgunWebhookBody,
        response: { 200: mailgunWebhookResult },
      },
    },
    async (request) => service.handleMailgunEvent(deps, request.body),
  );
};
