import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RouteRegistrar } from '../../api/surface.ts';
import { requireUser } from '../../platform/http/auth.ts';
import * as auth from './auth.service.ts';
import * as s from './identity.schemas.ts';
import * as profiles from './profiles.service.ts';
import * as roles from './roles.service.ts';

/** Login and tokens (E1-F2), the caller's user and profiles (E1-F3, E1-F4), roles. */

const ctxOf = (request: FastifyRequest): auth.RequestContext => ({
  ip: request.ip,
  userAgent: request.headers['user-agent'],
  requestId: String(request.id),
});

const actorOf = (request: FastifyRequest): profiles.Actor => ({
  userId: requireUser(request).userId,
  context: { request_id: request.id, ip: request.ip },
});

const authTags = ['auth'];
const profileTags = ['profiles'];
const authenticated = { access: 'authenticated' as const };
/** What a profile write may be refused with (profiles.rules.ts, profiles.service.ts). */
const PROFILE_RULES = [
  'AGE_REQUIREMENT_NOT_MET',
  'IDENTITY_DOCUMENT_REQUIRED',
  'OIB_ALREADY_USED',
  'OIB_INVALID',
  'UNPROCESSABLE',
] as const;

export const identityPublicRoutes: RouteRegistrar = (app, deps) => {
  app.post(
    '/auth/login',
    {
      config: {
        access: 'public',
        problems: ['SSO_TOKEN_INVALID', 'SSO_UNAVAILABLE', 'USER_SUSPENDED'],
      },
      schema: {
        tags: authTags,
        summary: 'Exchange a Drupal SSO token for ticketing API tokens',
        description:
          'Creates the local user on first login and syncs email, status and roles. 401 ' +
          'SSO_TOKEN_INVALID, 403 USER_SUSPENDED, 503 SSO_UNAVAILABLE (Drupal down or slow).',
        body: s.loginBody,
        response: { 200: s.loginOut },
      },
    },
    async (request) => auth.login(deps, request.body, ctxOf(request)),
  );

  app.post(
    '/auth/refresh',
    {
      config: {
        access: 'public',
        problems: ['REFRESH_TOKEN_INVALID', 'REFRESH_TOKEN_REUSED', 'USER_SUSPENDED'],
      },
      schema: {
        tags: authTags,
        summary: 'Rotate the refresh token and get a new access token',
        description:
          'The presented refresh token stops working. Presenting a rotated token again ' +
          'revokes the session (401 REFRESH_TOKEN_REUSED).',
        body: s.refreshBody,
        response: { 200: s.tokenPairOut },
      },
    },
    async (request) => auth.refresh(deps, request.body, ctxOf(request)),
  );

  app.post(
    '/auth/logout',
    {
      config: authenticated,
      schema: {
        tags: authTags,
        summary: "End the caller's session; its refresh token stops working",
        body: s.logoutBody,
        response: { 204: z.null().describe('Session ended') },
      },
    },
    async (request, reply) => {
      await auth.logout(deps, requireUser(request), request.body ?? {}, ctxOf(request));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/users/me',
    {
      config: authenticated,
      schema: {
        tags: authTags,
        summary: 'The caller with their current roles',
        response: { 200: s.userOut },
      },
    },
    async (request) => auth.currentUser(deps, requireUser(request).userId),
  );

  app.put(
    '/users/me/locale',
    {
      config: authenticated,
      schema: {
        tags: authTags,
        summary: "The caller's language for pushes and emails (hr, en; the app sets it)",
        body: z.object({ locale: z.enum(['hr', 'en']) }).strict(),
        response: { 200: z.object({ locale: z.enum(['hr', 'en']) }) },
      },
    },
    async (request) => auth.setMyLocale(deps, requireUser(request).userId, request.body.locale),
  );

  // Default profile (E1-F3) ---------------------------------------------------------------
  app.get(
    '/users/me/profile',
    {
      config: { ...authenticated, problems: ['PROFILE_NOT_FOUND'] },
      schema: {
        tags: profileTags,
        summary: "The caller's default ticketing profile (404 PROFILE_NOT_FOUND before POST)",
        response: { 200: s.profileOut },
      },
    },
    async (request) => profiles.getMyProfile(deps, requireUser(request).userId),
  );

  app.post(
    '/users/me/profile',
    {
      config: { ...authenticated, problems: [...PROFILE_RULES, 'PROFILE_EXISTS'] },
      schema: {
        tags: profileTags,
        summary: 'Create the default ticketing profile (once; 409 PROFILE_EXISTS afterwards)',
        description:
          'Croatians (nationality HR) give an OIB, others a passport number (422 ' +
          'IDENTITY_DOCUMENT_REQUIRED); 422 OIB_INVALID; 409 OIB_ALREADY_USED; 18+ only ' +
          '(422 AGE_REQUIREMENT_NOT_MET).',
        body: s.profileCreateBody,
        response: { 201: s.profileOut },
      },
    },
    async (request, reply) => {
      const profile = await profiles.createMyProfile(deps, actorOf(request), request.body);
      return reply.status(201).send(profile);
    },
  );

  app.put(
    '/users/me/profile',
    {
      config: {
        ...authenticated,
        problems: [...PROFILE_RULES, 'OIB_IMMUTABLE', 'PROFILE_NOT_FOUND'],
      },
      schema: {
        tags: profileTags,
        summary: 'Change the default profile (404 PROFILE_NOT_FOUND: use POST first)',
        description: 'Send only the fields to change. A set OIB cannot change (400 OIB_IMMUTABLE).',
        body: s.profileUpdateBody,
        response: { 200: s.profileOut },
      },
    },
    async (request) => profiles.updateMyProfile(deps, actorOf(request), request.body),
  );

  // Saved profiles (E1-F4) ----------------------------------------------------------------
  app.get(
    '/users/me/saved-profiles',
    {
      config: authenticated,
      schema: {
        tags: profileTags,
        summary: "The caller's saved profiles, OIB and passport masked",
        querystring: s.savedProfileListQuery,
        response: { 200: s.savedProfileListOut },
      },
    },
    async (request) => profiles.listSavedProfiles(deps, requireUser(request).userId, request.query),
  );

  app.post(
    '/users/me/saved-profiles',
    {
      config: {
        ...authenticated,
        problems: [...PROFILE_RULES, 'SAVED_PROFILE_LIMIT_REACHED'],
      },
      schema: {
        tags: profileTags,
        summary: 'Save a profile to buy tickets for (at most 10)',
        description:
          '400 SAVED_PROFILE_LIMIT_REACHED beyond 10; 409 OIB_ALREADY_USED when another ' +
          'saved profile of the caller has the OIB.',
        body: s.savedProfileCreateBody,
        response: { 201: s.savedProfileOut },
      },
    },
    async (request, reply) => {
      const saved = await profiles.createSavedProfile(deps, actorOf(request), request.body);
      return reply.status(201).send(saved);
    },
  );

  app.get(
    '/users/me/saved-profiles/:id',
    {
      config: { ...authenticated, problems: ['NOT_FOUND'] },
      schema: {
        tags: profileTags,
        summary: 'One saved profile of the caller',
        params: s.savedProfileParams,
        response: { 200: s.savedProfileOut },
      },
    },
    async (request) =>
      profiles.getSavedProfile(deps, requireUser(request).userId, request.params.id),
  );

  app.put(
    '/users/me/saved-profiles/:id',
    {
      config: { ...authenticated, problems: [...PROFILE_RULES, 'NOT_FOUND'] },
      schema: {
        tags: profileTags,
        summary: 'Change a saved profile (send only the fields to change)',
        params: s.savedProfileParams,
        body: s.savedProfileUpdateBody,
        response: { 200: s.savedProfileOut },
      },
    },
    async (request) =>
      profiles.updateSavedProfile(deps, actorOf(request), request.params.id, request.body),
  );

  app.delete(
    '/users/me/saved-profiles/:id',
    {
      config: { ...authenticated, problems: ['NOT_FOUND'] },
      schema: {
        tags: profileTags,
        summary: 'Delete a saved profile',
        params: s.savedProfileParams,
        response: { 204: z.null().describe('Deleted') },
      },
    },
    async (request, reply) => {
      await profiles.deleteSavedProfile(deps, actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
};

export const identityAdminRoutes: RouteRegistrar = (app, deps) => {
  const superAdmin = { access: ['SUPER_ADMIN'] as const };

  app.get(
    '/users/:id/roles',
    {
      config: { ...superAdmin, problems: ['NOT_FOUND'] },
      schema: {
        tags: ['users'],
        summary: "A user's roles: effective, granted locally and granted by Drupal",
        params: s.userIdParams,
        response: { 200: s.userRolesOut },
      },
    },
    async (request) => roles.getUserRoles(deps, request.params.id),
  );

  app.put(
    '/users/:id/roles',
    {
      config: { ...superAdmin, problems: ['CONFLICT', 'NOT_FOUND'] },
      schema: {
        tags: ['users'],
        summary: "Set a user's locally granted roles (FAN is implicit)",
        description:
          'Takes effect at the next token refresh. Nobody can drop their own SUPER_ADMIN.',
        params: s.userIdParams,
        body: s.setRolesBody,
        response: { 200: s.userRolesOut },
      },
    },
    async (request) =>
      roles.setUserRoles(deps, requireUser(request).userId, request.params.id, request.body.roles),
  );
};
