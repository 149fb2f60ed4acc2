import type { RouteRegistrar } from '../../api/surface.ts';
import type { Role } from '../../platform/auth/roles.ts';
import { requireUser } from '../../platform/http/auth.ts';
import { sectorTransferBody, sectorTransferOut } from './sector-transfer.schemas.ts';
import { transferSector } from './sector-transfer.service.ts';

const MANAGERS: readonly Role[] = ['MATCH_MANAGER'];

/** Sector-to-sector transfer of tickets (E3-F6), admin surface. */
export const sectorTransferAdminRoutes: RouteRegistrar = (app, deps) => {
  app.post(
    '/tickets/sector-transfer',
    {
      config: {
        access: MANAGERS,
        problems: [
          'NOT_FOUND',
          'SECTOR_TRANSFER_NO_ROOM',
          'SECTOR_TRANSFER_NOTHING_TO_MOVE',
          'VALIDATION_FAILED',
        ],
      },
      schema: {
        tags: ['tickets'],
        summary: 'Move tickets to another sector of the match (E3-F6)',
        description:
          'The valid tickets on `source_seat_ids` (match_seat_inventory ids) or in ' +
          '`source_match_sector_id` get free seats of `destination_match_sector_id`, assigned ' +
          'in snake order with each order kept together where the destination allows; every ' +
          'moved ticket gets a new barcode and signed QR, its old seat becomes BLOCKED, its ' +
          'holders are told by email and push, and every seat is audited in seat_audit_logs. ' +
          'All or nothing: too few free seats answers 409 SECTOR_TRANSFER_NO_ROOM with ' +
          '`needed`, `available` and `missing`, and nothing moves. `dry_run: true` answers the ' +
          'plan without moving anything.',
        body: sectorTransferBody,
        response: { 200: sectorTransferOut },
      },
    },
    async (request) =>
      transferSector(
        deps,
        {
          userId: requireUser(request).userId,
          context: { request_id: request.id, ip: request.ip },
        },
        request.body,
      ),
  );
};
