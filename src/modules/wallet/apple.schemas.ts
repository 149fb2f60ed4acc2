import { z } from 'zod';

/** Apple's pass web service: path parts and bodies as Wallet sends them. */
export const ticketParams = z.object({ id: z.uuid() });

const deviceLibraryIdentifier = z.string().regex(/^[A-Za-z0-9._-]{1,128}$/);
const passTypeIdentifier = z.string().regex(/^[A-Za-z0-9._-]{1,128}$/);

export const registrationParams = z.object({
  device: deviceLibraryIdentifier,
  passType: passTypeIdentifier,
  serial: z.uuid(),
});

export const deviceParams = z.object({
  device: deviceLibraryIdentifier,
  passType: passTypeIdentifier,
});

export const passParams = z.object({ passType: passTypeIdentifier, serial: z.uuid() });

export const registrationBody = z.object({
  pushToken: z.string().regex(/^[0-9A-Za-z]{1,200}$/, 'the APNs device token (hex)'),
});

export const updatedQuery = z.object({
  passesUpdatedSince: z.string().max(32).optional(),
});

export const updatedSerials = z.object({
  serialNumbers: z.array(z.string()),
  lastUpdated: z.string(),
});

export const logBody = z.object({ logs: z.array(z.string().max(10_000)).max(1000) });

export const authHeaders = z.object({ authorization: z.string().max(500).optional() });
