import { sql } from 'kysely';
import type { Executor } from '../../src/platform/db/database.ts';
import type { QuotaSeatStatus, QuotaStatus } from '../../src/platform/db/types.generated.ts';

/**
 * Quota rows (E7-F1 tables) inserted directly, the way the quota API of a later issue will
 * leave them, so that other modules (inventory search) can be tested before it exists.
 */

export interface QuotaSeatInput {
  inventoryId: string;
  status?: QuotaSeatStatus;
}

export interface CreateQuotaInput {
  matchId: string;
  /** match_seat_inventory ids, or rows with their quota seat status (default ALLOCATED). */
  seats: (string | QuotaSeatInput)[];
  recipientEmail?: string;
  status?: QuotaStatus;
  sectorIds?: string[];
  createdBy?: string | null;
}

export interface CreatedQuota {
  quotaId: string;
  quotaSeatIds: string[];
}

/**
 * A quota with its seats. Seats whose quota seat status is ALLOCATED take inventory status
 * ALLOCATED (E7-F1 "reserve allocated seats from public sale"); other statuses leave the
 * inventory row as it is (the caller puts it in the state it needs).
 */
export async function createQuota(db: Executor, input: CreateQuotaInput): Promise<CreatedQuota> {
  const seats = input.seats.map((s) => (typeof s === 'string' ? { inventoryId: s } : s));
  const cancelled = input.status === 'CANCELLED';
  const quota = await db
    .insertInto('quotas')
    .values({
      match_id: input.matchId,
      recipient_email: (input.recipientEmail ?? 'partner@example.test').toLowerCase(),
      recipient_name: 'Partner d.o.o.',
      total_quantity: Math.max(seats.length, 1),
      sector_ids: input.sectorIds ?? [],
      status: input.status ?? 'ACTIVE',
      created_by: input.createdBy ?? null,
      ...(cancelled ? { cancelled_at: new Date(), cancellation_type: 'ALL_UNUSED' as const } : {}),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (seats.length === 0) return { quotaId: quota.id, quotaSeatIds: [] };
  const rows = await db
    .insertInto('quota_seats')
    .values(
      seats.map((s) => ({
        quota_id: quota.id,
        match_seat_inventory_id: s.inventoryId,
        status: s.status ?? 'ALLOCATED',
      })),
    )
    .returning('id')
    .execute();
  const allocated = seats.filter((s) => (s.status ?? 'ALLOCATED') === 'ALLOCATED');
  if (allocated.length) {
    await db
      .updateTable('match_seat_inventory')
      .set({ status: 'ALLOCATED', version: sql`version + 1` })
      .where(
        'id',
        'in',
        allocated.map((s) => s.inventoryId),
      )
      .execute();
  }
  return { quotaId: quota.id, quotaSeatIds: rows.map((r) => r.id) };
}

/** Cancels quota seats (as E7-F7 cancellation will); the inventory rows are left alone. */
export async function cancelQuotaSeats(db: Executor, quotaSeatIds: string[]): Promise<void> {
  if (quotaSeatIds.length === 0) return;
  await db
    .updateTable('quota_seats')
    .set({ status: 'CANCELLED' })
    .where('id', 'in', quotaSeatIds)
    .execute();
}
