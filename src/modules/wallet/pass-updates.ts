import type { AppDeps } from '../../deps.ts';
import { apnsTokenGone } from '../../platform/adapters/apns/apns.ts';
import { getTicketForWallet } from '../tickets/tickets.service.ts';
import { deleteRegistrationsByToken, listPushTokens } from './apple.repo.ts';
import { eventTicketObjectPatch } from './google.service.ts';
import { passContent } from './pass-content.ts';
import { apnsClientOf, googleConfigured, googleWalletOf } from './wallet-clients.ts';
import { listGoogleObjects, markGoogleSynced, touchPasses } from './wallet-passes.repo.ts';

type Deps = Pick<AppDeps, 'db' | 'config' | 'clock' | 'logger'>;

/**
 * A ticket changed (the tickets module's `tickets.changed` event): its passes are brought
 * up to date (E9-F4). The pass's change time moves (Apple's "updated since" and
 * Last-Modified), every device holding the Apple pass gets an APNs push (it then fetches
 * the pass from the web service), and every Google object of it is patched through the
 * Wallet REST API as its owner may see it now (an old owner's becomes inactive, without
 * QR). Idempotent: a retry pushes and patches again, which shows the same pass.
 */
export async function refreshPasses(deps: Deps, ticketIds: readonly string[]): Promise<void> {
  const touched = await touchPasses(deps.db, ticketIds, deps.clock.now());
  if (touched.length === 0) return; // never given to a wallet
  await Promise.all([pushAppleUpdates(deps, touched), patchGoogleObjects(deps, touched)]);
}

async function pushAppleUpdates(deps: Deps, ticketIds: readonly string[]) {
  const registrations = await listPushTokens(deps.db, ticketIds);
  if (registrations.length === 0) return;
  const apns = apnsClientOf(deps.config);
  if (!apns) {
    deps.logger.warn(
      { devices: registrations.length },
      'APNs not configured: pass updates not pushed',
    );
    return;
  }
  const results = await apns.send(
    registrations.map((r) => ({ deviceToken: r.push_token, topic: r.pass_type_identifier })),
  );
  await deleteRegistrationsByToken(
    deps.db,
    results.filter(apnsTokenGone).map((r) => r.deviceToken),
  );
  const failed = results.filter((r) => r.status !== 200 && !apnsTokenGone(r));
  // Unreachable or refused for now: the job is retried (devices also poll on their own).
  if (failed.some((r) => r.status === 0 || r.status === 429 || r.status >= 500)) {
    throw new Error(
      `APNs: ${failed.length} of ${results.length} pushes failed (${failed[0]?.reason ?? failed[0]?.status})`,
    );
  }
  if (failed.length) deps.logger.warn({ failed }, 'APNs refused pass update pushes');
}

async function patchGoogleObjects(deps: Deps, ticketIds: readonly string[]) {
  const objects = await listGoogleObjects(deps.db, ticketIds);
  if (objects.length === 0) return;
  if (!googleConfigured(deps.config)) {
    deps.logger.warn(
      { objects: objects.length },
      'Google Wallet not configured: objects not updated',
    );
    return;
  }
  const client = await googleWalletOf(deps.config);
  for (const o of objects) {
    const ticket = await getTicketForWallet(deps, o.ticket_id);
    if (!ticket) continue;
    const patch = eventTicketObjectPatch(
      client.issuerId,
      passContent(ticket, o.owner_user_id),
      o.owner_user_id,
    );
    // false: the fan never saved it, so there is nothing at Google to update.
    if (await client.patchObject(o.object_id, patch)) {
      await markGoogleSynced(deps.db, o.object_id, deps.clock.now());
    }
  }
}
