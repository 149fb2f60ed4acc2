import type { RouteRegistrar } from '../../api/surface.ts';
import { requireUser } from '../../platform/http/auth.ts';
import {
  cancelReservationBody,
  CONFIRM_DESCRIPTION,
  confirmBody,
  confirmResponse,
  LOOKUP_DESCRIPTION,
  lookupResponse,
  myReservationsResponse,
  oneReservationResponse,
  pinParams,
  reservationIdParams,
  reservationSchema,
} from './reservations.schemas.ts';
import {
  cancelReservation,
  confirmPin,
  lookupPin,
  myReservation,
  myReservations,
  verifyIdentity,
} from './reservations.service.ts';

/** The cashier portal (E12-F2, E12-F3), mounted under /petrol-portal, PETROL_STAFF only. */
export const petrolPortalRoutes: RouteRegistrar = (app, deps) => {
  app.get(
    '/pins/:pin',
    {
      config: {
        access: ['PETROL_STAFF'],
        problems: [
          'PETROL_STAFF_NO_STATION',
          'PETROL_LOOKUP_LIMITED',
          'PETROL_PIN_MALFORMED',
          'PETROL_PIN_NOT_FOUND',
          'PETROL_PIN_EXPIRED',
          'PETROL_PIN_USED',
          'PETROL_PIN_RESERVED',
          'PETROL_SOLD_OUT',
        ],
      },
      schema: {
        summary: 'Look a PIN up: the customer, and seats reserved for 20 minutes (E12-F2)',
        description: LOOKUP_DESCRIPTION,
        params: pinParams,
        response: { 200: lookupResponse },
      },
    },
    async (request) =>
      (await lookupPin(deps, requireUser(request).userId, request.params.pin)).body,
  );

  app.post(
    '/pins/:pin/confirm',
    {
      config: {
        access: ['PETROL_STAFF'],
        problems: [
          'PETROL_STAFF_NO_STATION',
          'PETROL_PIN_MALFORMED',
          'PETROL_PIN_NOT_FOUND',
          'PETROL_PIN_USED',
          'PETROL_RESERVATION_EXPIRED',
          'PETROL_RESERVATION_NOT_YOURS',
          'PETROL_RESERVATION_CLOSED',
          'PURCHASE_LIMIT_EXCEEDED',
          'BLACKLISTED',
        ],
      },
      schema: {
        summary: 'Confirm the sale: cash or card taken, identity checked (E12-F2)',
        description: CONFIRM_DESCRIPTION,
        params: pinParams,
        body: confirmBody,
        response: { 201: confirmResponse },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(
          await confirmPin(deps, requireUser(request).userId, request.params.pin, request.body),
        ),
  );

  app.get(
    '/reservations',
    {
      config: { access: ['PETROL_STAFF'], problems: ['PETROL_STAFF_NO_STATION'] },
      schema: {
        summary: "The cashier's live reservations with their warnings: poll it (E12-F3)",
        description:
          'Each live reservation with seconds_left and the warning to display: FIVE_MINUTES from 5 minutes left, ONE_MINUTE from 1 minute left (E12-F3). Decision: a poll endpoint rather than a WebSocket — a till polls every 15 s, which is exact enough for a 1-minute warning and works behind any station network.',
        response: { 200: myReservationsResponse },
      },
    },
    async (request) => myReservations(deps, requireUser(request).userId),
  );

  app.get(
    '/reservations/:id',
    {
      config: {
        access: ['PETROL_STAFF'],
        problems: ['PETROL_STAFF_NO_STATION', 'NOT_FOUND', 'PETROL_RESERVATION_NOT_YOURS'],
      },
      schema: {
        summary: "One of the cashier's reservations, with its warning (E12-F3)",
        params: reservationIdParams,
        response: { 200: oneReservationResponse },
      },
    },
    async (request) => myReservation(deps, requireUser(request).userId, request.params.id),
  );

  app.post(
    '/reservations/:id/verify-identity',
    {
      config: {
        access: ['PETROL_STAFF'],
        problems: [
          'PETROL_STAFF_NO_STATION',
          'NOT_FOUND',
          'PETROL_RESERVATION_NOT_YOURS',
          'PETROL_RESERVATION_CLOSED',
          'PETROL_RESERVATION_EXPIRED',
        ],
      },
      schema: {
        summary: "Record the holders' identity check: RESERVED → IDENTITY_VERIFIED (E12-F2)",
        description:
          'Optional step before the confirmation (which records the check itself when given identity_verified: true). Idempotent.',
        params: reservationIdParams,
        response: { 200: reservationSchema },
      },
    },
    async (request) => verifyIdentity(deps, requireUser(request).userId, request.params.id),
  );

  app.post(
    '/reservations/:id/cancel',
    {
      config: {
        access: ['PETROL_STAFF'],
        problems: [
          'PETROL_STAFF_NO_STATION',
          'NOT_FOUND',
          'PETROL_RESERVATION_NOT_YOURS',
          'PETROL_RESERVATION_CLOSED',
        ],
      },
      schema: {
        summary: 'Cancel a reservation: its seats go back to the petrol quota at once (E12-F3)',
        params: reservationIdParams,
        body: cancelReservationBody,
        response: { 200: reservationSchema },
      },
    },
    async (request) =>
      cancelReservation(deps, requireUser(request).userId, request.params.id, request.body ?? {}),
  );
};
