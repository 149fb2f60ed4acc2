import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';

/**
 * SQL of the seat side of quotas (E7): allocation takes seats out of public sale
 * (AVAILABLE → ALLOCATED, flow QUOTA), a quota claim holds them (ALLOCATED → RESERVED with
 * hold_kind QUOTA, flow HOLD) and gives them back to the quota (RESERVED → ALLOCATED), and
 * cancellation or expiry returns them to sale (→ AVAILABLE). Every statement writes its
 * seat_audit_logs rows itself (one data-modifying CTE), and checks the seat's state on the
 * row it locks, never on an earlier read (architecture invariants 1–3). The quotas module
 * owns the quota rows and calls these through quota-seats.ts.
 */

/** A seat a claim may take: AVAILABLE, or RESERVED by a hold that has run out. */
const claimable = (now: Date) =>
  sql<boolean>`(i.status = 'AVAILABLE' OR (i.status = 'RESERVED' AND i.held_until < ${now}))`;

export interface AllocatedSeat {
  id: string;
  match_sector_id: string;
  snake_order: number;
}

/**
 * Allocates `quantity` claimable seats of the match's sectors, sector by sector in the
 * given order and in snake order inside each (so a block fills row by row, adjacent seats
 * consecutive), all or nothing. Seats locked by a concurrent buyer are skipped (SKIP
 * LOCKED): the buyer keeps them and the allocation takes the next ones, or, with too few
 * left, allocates nothing. Returns the seats allocated (none or `quantity`).
 */
export async function allocateClaimableSeats(
  db: Executor,
  input: {
    matchId: string;
    matchSectorIds: readonly string[];
    quantity: number;
    quotaId: string;
    by: string | null;
    now: Date;
  },
): Promise<AllocatedSeat[]> {
  const { now } = input;
  const { rows } = await sql<AllocatedSeat>`
    WITH target AS (
      -- per sector, in its order, the first seats of its snake order (the claim index, not a
      -- sort of the match); a later sector's first seats (up to the quantity) are locked too until
      -- commit, which only makes concurrent buyers skip them for that moment
      SELECT c.id, c.match_sector_id, c.snake_order, s.ord
        FROM unnest(${input.matchSectorIds}::uuid[]) WITH ORDINALITY AS s(id, ord)
       CROSS JOIN LATERAL (
             SELECT i.id, i.match_sector_id, i.snake_order
               FROM match_seat_inventory i
              WHERE i.match_sector_id = s.id AND i.match_id = ${input.matchId}
                AND ${claimable(now)}
              ORDER BY i.snake_order
              LIMIT ${input.quantity}
                FOR UPDATE OF i SKIP LOCKED) c
       ORDER BY s.ord, c.snake_order
       LIMIT ${input.quantity}
    ),
    complete AS (SELECT count(*) = ${input.quantity} AS ok FROM target),
    allocated AS (
      UPDATE match_seat_inventory m
         SET status = 'ALLOCATED', hold_kind = NULL, hold_owner_id = NULL, held_until = NULL,
             last_modified_at = ${now}, last_modified_by = ${input.by}, version = m.version + 1
        FROM target, complete
       WHERE m.id = target.id AND complete.ok
      RETURNING m.id, m.match_sector_id, m.snake_order, target.ord
    ),
    trail AS (
      INSERT INTO seat_audit_logs
             (match_seat_inventory_id, from_status, to_status, reason, changed_by, action,
              hold_kind, hold_owner_id, created_at)
      SELECT a.id, 'AVAILABLE', 'ALLOCATED', ${`allocated to quota ${input.quotaId}`},
             ${input.by}::uuid, 'QUOTA_ALLOCATED', 'QUOTA', ${input.quotaId}::uuid, ${now}
        FROM allocated a
    )
    SELECT id, match_sector_id, snake_order FROM allocated ORDER BY ord, snake_order`.execute(db);
  return rows;
}

/**
 * The bulk allocation's first step (a quota import: many quotas of one match in one
 * transaction): locks up to `limit` claimable seats of each sector, in snake order, and
 * returns them by sector in that order. SKIP LOCKED as in `allocateClaimableSeats`: seats a
 * concurrent buyer holds are left to the buyer. The caller shares the locked seats out
 * (first quota first, each in its sectors' order) and allocates them with
 * `allocateLockedSeats`; what it does not use stays claimable at commit.
 */
export async function lockClaimableSeats(
  db: Executor,
  input: {
    matchId: string;
    sectors: readonly { id: string; limit: number }[];
    now: Date;
  },
): Promise<AllocatedSeat[]> {
  if (input.sectors.length === 0) return [];
  const { rows } = await sql<AllocatedSeat>`
    SELECT c.id, c.match_sector_id, c.snake_order
      FROM unnest(${input.sectors.map((s) => s.id)}::uuid[], ${input.sectors.map((s) => s.limit)}::int[])
             WITH ORDINALITY AS s(id, lim, ord)
     CROSS JOIN LATERAL (
           SELECT i.id, i.match_sector_id, i.snake_order
             FROM match_seat_inventory i
            WHERE i.match_sector_id = s.id AND i.match_id = ${input.matchId}
              AND ${claimable(input.now)}
            ORDER BY i.snake_order
            LIMIT s.lim
              FOR UPDATE OF i SKIP LOCKED) c
     ORDER BY s.ord, c.snake_order`.execute(db);
  return rows;
}

/**
 * The bulk allocation's second step: seats locked by `lockClaimableSeats` in this
 * transaction → ALLOCATED, each to its quota, with its `QUOTA_ALLOCATED` seat-trail row; one
 * statement for all. The state is checked again on the locked rows; returns how many were
 * allocated (the caller compares it with what it asked for).
 */
export async function allocateLockedSeats(
  db: Executor,
  input: {
    seats: readonly { id: string; quotaId: string }[];
    by: string | null;
    now: Date;
  },
): Promise<number> {
  if (input.seats.length === 0) return 0;
  const { now } = input;
  const { rows } = await sql<{ n: number }>`
    WITH target AS (
      SELECT t.id, t.quota_id
        FROM unnest(${input.seats.map((s) => s.id)}::uuid[], ${input.seats.map((s) => s.quotaId)}::uuid[])
               AS t(id, quota_id)
    ),
    allocated AS (
      UPDATE match_seat_inventory m
         SET status = 'ALLOCATED', hold_kind = NULL, hold_owner_id = NULL, held_until = NULL,
             last_modified_at = ${now}, last_modified_by = ${input.by}, version = m.version + 1
        FROM target
       WHERE m.id = target.id
         AND (m.status = 'AVAILABLE' OR (m.status = 'RESERVED' AND m.held_until < ${now}))
      RETURNING m.id, target.quota_id
    ),
    trail AS (
      INSERT INTO seat_audit_logs
             (match_seat_inventory_id, from_status, to_status, reason, changed_by, action,
              hold_kind, hold_owner_id, created_at)
      SELECT a.id, 'AVAILABLE', 'ALLOCATED', 'allocated to quota ' || a.quota_id,
             ${input.by}::uuid, 'QUOTA_ALLOCATED', 'QUOTA', a.quota_id, ${now}
        FROM allocated a
    )
    SELECT count(*)::int AS n FROM allocated`.execute(db);
  return rows[0]!.n;
}

/** Claimable seats of the match's sectors now (the figure a refused allocation reports). */
export async function countClaimableSeats(
  db: Executor,
  matchId: string,
  matchSectorIds: readonly string[],
  now: Date,
): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM match_seat_inventory i
     WHERE i.match_id = ${matchId} AND i.match_sector_id = ANY (${matchSectorIds}::uuid[])
       AND ${claimable(now)}`.execute(db);
  return rows[0]!.n;
}

/**
 * Gives ALLOCATED seats back to public sale (quota cancelled or expired): ALLOCATED →
 * AVAILABLE, and a live quota claim hold on them (RESERVED, hold_kind QUOTA) too when
 * `includeHeld`. Returns the ids returned.
 */
export async function returnQuotaSeatsToSale(
  db: Executor,
  input: {
    inventoryIds: readonly string[];
    includeHeld: boolean;
    quotaId: string;
    reason: string;
    by: string | null;
    now: Date;
  },
): Promise<string[]> {
  if (input.inventoryIds.length === 0) return [];
  const { now } = input;
  const { rows } = await sql<{ id: string }>`
    WITH target AS (
      SELECT i.id, i.status, i.hold_kind, i.hold_owner_id FROM match_seat_inventory i
       WHERE i.id = ANY (${input.inventoryIds}::uuid[])
         AND (i.status = 'ALLOCATED'
              OR (${input.includeHeld} AND i.status = 'RESERVED' AND i.hold_kind = 'QUOTA'))
         FOR UPDATE
    ),
    returned AS (
      UPDATE match_seat_inventory m
         SET status = 'AVAILABLE', hold_kind = NULL, hold_owner_id = NULL, held_until = NULL,
             last_modified_at = ${now}, last_modified_by = ${input.by}, version = m.version + 1
        FROM target
       WHERE m.id = target.id
      RETURNING m.id, target.status AS from_status, target.hold_owner_id
    ),
    trail AS (
      INSERT INTO seat_audit_logs
             (match_seat_inventory_id, from_status, to_status, reason, changed_by, action,
              hold_kind, hold_owner_id, created_at)
      SELECT r.id, r.from_status, 'AVAILABLE', ${input.reason}, ${input.by}::uuid,
             'QUOTA_RETURNED', 'QUOTA', coalesce(r.hold_owner_id, ${input.quotaId}::uuid), ${now}
        FROM returned r
    )
    SELECT id FROM returned`.execute(db);
  return rows.map((r) => r.id);
}

/**
 * A quota claim takes ALLOCATED seats of its quota: ALLOCATED → RESERVED with hold_kind
 * QUOTA and the claim cart as owner, all or nothing. `heldUntil` is the match's kick-off,
 * not the claim's expiry: a claim that runs out goes back to the quota (the quotas expiry
 * job), never to the public, so no public claim or sales sweep may see the seat as free
 * before the match. Returns the number of seats held (0 or all).
 */
export async function holdAllocatedSeats(
  db: Executor,
  input: {
    inventoryIds: readonly string[];
    ownerId: string;
    heldUntil: Date;
    by: string | null;
    now: Date;
  },
): Promise<number> {
  const { now } = input;
  const { rows } = await sql<{ n: number }>`
    WITH target AS (
      SELECT i.id FROM match_seat_inventory i
       WHERE i.id = ANY (${input.inventoryIds}::uuid[]) AND i.status = 'ALLOCATED'
         FOR UPDATE
    ),
    complete AS (SELECT count(*) = ${input.inventoryIds.length} AS ok FROM target),
    held AS (
      UPDATE match_seat_inventory m
         SET status = 'RESERVED', hold_kind = 'QUOTA', hold_owner_id = ${input.ownerId},
             held_until = ${input.heldUntil}, last_modified_at = ${now},
             last_modified_by = ${input.by}, version = m.version + 1
        FROM target, complete
       WHERE m.id = target.id AND complete.ok
      RETURNING m.id
    ),
    trail AS (
      INSERT INTO seat_audit_logs
             (match_seat_inventory_id, from_status, to_status, reason, changed_by, action,
              hold_kind, hold_owner_id, created_at)
      SELECT h.id, 'ALLOCATED', 'RESERVED', 'quota claim', ${input.by}::uuid, 'HOLD_CREATED',
             'QUOTA', ${input.ownerId}::uuid, ${now}
        FROM held h
    )
    SELECT count(*)::int AS n FROM held`.execute(db);
  return rows[0]!.n;
}

/**
 * Gives a quota claim's held seats back to the quota (claim abandoned or expired):
 * RESERVED (hold_kind QUOTA, this owner) → ALLOCATED. Returns the ids released.
 */
export async function releaseQuotaHold(
  db: Executor,
  input: { ownerId: string; reason: string; by: string | null; now: Date },
): Promise<string[]> {
  const { now } = input;
  const { rows } = await sql<{ id: string }>`
    WITH released AS (
      UPDATE match_seat_inventory m
         SET status = 'ALLOCATED', hold_kind = NULL, hold_owner_id = NULL, held_until = NULL,
             last_modified_at = ${now}, last_modified_by = ${input.by}, version = m.version + 1
       WHERE m.hold_owner_id = ${input.ownerId} AND m.status = 'RESERVED'
         AND m.hold_kind = 'QUOTA'
      RETURNING m.id
    ),
    trail AS (
      INSERT INTO seat_audit_logs
             (match_seat_inventory_id, from_status, to_status, reason, changed_by, action,
              hold_kind, hold_owner_id, created_at)
      SELECT r.id, 'RESERVED', 'ALLOCATED', ${input.reason}, ${input.by}::uuid, 'HOLD_RELEASED',
             'QUOTA', ${input.ownerId}::uuid, ${now}
        FROM released r
    )
    SELECT id FROM released`.execute(db);
  return rows.map((r) => r.id);
}

export interface QuotaSeatDetail {
  inventory_id: string;
  match_sector_id: string;
  sector_code: string;
  row_identifier: string;
  seat_number: number;
  row_index: number;
  col_index: number;
  snake_order: number;
  status: string;
  price_category_id: string | null;
  price: number | null;
}

/** Seat numbers and prices of inventory rows (portal views and claim pricing). */
export async function seatDetails(
  db: Executor,
  inventoryIds: readonly string[],
): Promise<QuotaSeatDetail[]> {
  if (inventoryIds.length === 0) return [];
  const { rows } = await sql<QuotaSeatDetail>`
    SELECT i.id AS inventory_id, i.match_sector_id, ms.code AS sector_code, s.row_identifier,
           s.seat_number, i.row_index, i.col_index, i.snake_order, i.status::text AS status,
           ms.price_category_id, pc.price
      FROM match_seat_inventory i
      JOIN seats s ON s.id = i.seat_id
      JOIN match_sectors ms ON ms.id = i.match_sector_id
      LEFT JOIN price_categories pc ON pc.id = ms.price_category_id
     WHERE i.id = ANY (${inventoryIds}::uuid[])
     ORDER BY ms.code, i.snake_order`.execute(db);
  return rows;
}

/**
 * A quota claim's hold passes from the claim cart to its order when payment starts (the
 * sale sells seats held by the order): same status and held_until, new owner, trail
 * HOLD_TRANSFERRED. Returns the number of seats moved.
 */
export async function transferQuotaHold(
  db: Executor,
  input: { fromOwnerId: string; toOwnerId: string; by: string | null; now: Date },
): Promise<number> {
  const { now } = input;
  const { rows } = await sql<{ n: number }>`
    WITH moved AS (
      UPDATE match_seat_inventory m
         SET hold_owner_id = ${input.toOwnerId}, last_modified_at = ${now},
             last_modified_by = ${input.by}, version = m.version + 1
       WHERE m.hold_owner_id = ${input.fromOwnerId} AND m.status = 'RESERVED'
         AND m.hold_kind = 'QUOTA'
      RETURNING m.id
    ),
    trail AS (
      INSERT INTO seat_audit_logs
             (match_seat_inventory_id, from_status, to_status, reason, changed_by, action,
              hold_kind, hold_owner_id, order_id, created_at)
      SELECT mv.id, 'RESERVED', 'RESERVED', 'quota claim payment started', ${input.by}::uuid,
             'HOLD_TRANSFERRED', 'QUOTA', ${input.toOwnerId}::uuid, ${input.toOwnerId}::uuid, ${now}
        FROM moved mv
    )
    SELECT count(*)::int AS n FROM moved`.execute(db);
  return rows[0]!.n;
}
