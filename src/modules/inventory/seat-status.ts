/**
 * The seat status model of E3-F1: the ten statuses of a match seat, their display colours
 * and the transition matrix. Pure: no I/O. The matrix is documented, with its reasoning,
 * in ./README.md; keep the two in step (the test checks every pair).
 */

export const SEAT_STATUSES = [
  'AVAILABLE',
  'RESERVED',
  'SOLD',
  'ALLOCATED',
  'BLOCKED',
  'TECHNICAL',
  'OFFICIAL',
  'MAINTENANCE',
  'QUARANTINED',
  'INACTIVE',
] as const;

export type SeatStatus = (typeof SEAT_STATUSES)[number];

/** Display colour of each status (seat maps, legends, admin UI). */
export const SEAT_STATUS_COLORS: Readonly<Record<SeatStatus, string>> = {
  AVAILABLE: '#2E7D32', // green: can be bought
  RESERVED: '#F9A825', // amber: held in a cart, quota portal or pending order
  SOLD: '#C62828', // red: a valid ticket exists
  ALLOCATED: '#1565C0', // blue: set aside for a quota (clubs, sponsors)
  BLOCKED: '#424242', // dark grey: withheld by staff
  TECHNICAL: '#6A1B9A', // purple: camera, control room, safety positions
  OFFICIAL: '#00838F', // teal: federation and protocol seats
  MAINTENANCE: '#EF6C00', // orange: broken or being repaired
  QUARANTINED: '#AD1457', // magenta: under investigation (fraud, disputes)
  INACTIVE: '#BDBDBD', // light grey: not in use for this match
};

/**
 * Who moves a seat between statuses.
 * - ADMIN: staff status change (PUT /admin/seats/{id}/status and bulk-status).
 * - HOLD: a cart, quota-portal, petrol or pending-order hold being taken or released
 *   (single-statement claims; an expired hold is released by the sweeper).
 * - SALE: payment confirmed, the held seat gets its ticket.
 * - REFUND: refund, cancellation or transfer frees a sold seat.
 * - QUOTA: a seat is allocated to a quota or returned from it.
 */
export const TRANSITION_FLOWS = ['ADMIN', 'HOLD', 'SALE', 'REFUND', 'QUOTA'] as const;
export type TransitionFlow = (typeof TRANSITION_FLOWS)[number];

/** Statuses staff set and clear by hand. Everything else belongs to a flow that owns it. */
export const ADMIN_STATUSES = [
  'AVAILABLE',
  'BLOCKED',
  'TECHNICAL',
  'OFFICIAL',
  'MAINTENANCE',
  'QUARANTINED',
  'INACTIVE',
] as const satisfies readonly SeatStatus[];
export type AdminSeatStatus = (typeof ADMIN_STATUSES)[number];

const isAdminStatus = (s: SeatStatus): s is AdminSeatStatus =>
  (ADMIN_STATUSES as readonly SeatStatus[]).includes(s);

const FLOW_EDGES: Readonly<Record<Exclude<TransitionFlow, 'ADMIN'>, readonly string[]>> = {
  HOLD: ['AVAILABLE>RESERVED', 'ALLOCATED>RESERVED', 'RESERVED>AVAILABLE', 'RESERVED>ALLOCATED'],
  SALE: ['RESERVED>SOLD'],
  REFUND: ['SOLD>AVAILABLE', 'SOLD>ALLOCATED'],
  QUOTA: ['AVAILABLE>ALLOCATED', 'ALLOCATED>AVAILABLE'],
};

/**
 * The transition matrix: may a seat go from `from` to `to` through `flow` (default ADMIN,
 * the staff status change)? Staying in the same status is never a transition.
 *
 * ADMIN: between any two staff statuses, and out of RESERVED into a staff status (this
 * releases a live cart hold; the caller decides whether to allow that and warns). Never
 * into RESERVED (holds have an owner and an expiry), SOLD (only payment makes a ticket) or
 * ALLOCATED (a quota owns it), and never out of SOLD (refund/cancel) or ALLOCATED (quota).
 */
export function canTransition(
  from: SeatStatus,
  to: SeatStatus,
  flow: TransitionFlow = 'ADMIN',
): boolean {
  if (from === to) return false;
  if (flow === 'ADMIN') return isAdminStatus(to) && (isAdminStatus(from) || from === 'RESERVED');
  return FLOW_EDGES[flow].includes(`${from}>${to}`);
}

/** Every flow through which `from` → `to` is allowed (empty: never). */
export function transitionFlows(from: SeatStatus, to: SeatStatus): TransitionFlow[] {
  return TRANSITION_FLOWS.filter((flow) => canTransition(from, to, flow));
}

/** The statuses an ADMIN change to `to` may start from. */
export function adminSourcesOf(to: SeatStatus): SeatStatus[] {
  return SEAT_STATUSES.filter((from) => canTransition(from, to, 'ADMIN'));
}

/**
 * The status a seat shows: a RESERVED seat whose hold has expired counts as AVAILABLE
 * (architecture invariant 2) until the sweeper clears it. A hold with no held_until has
 * no expiry (it is released by its owner).
 */
export function effectiveStatus(
  status: SeatStatus,
  heldUntil: Date | null | undefined,
  now: Date,
): SeatStatus {
  if (status === 'RESERVED' && heldUntil && heldUntil.getTime() < now.getTime()) {
    return 'AVAILABLE';
  }
  return status;
}

/** Is the seat in a live hold (RESERVED with held_until still in the future)? */
export const isHeld = (status: SeatStatus, heldUntil: Date | null | undefined, now: Date) =>
  status === 'RESERVED' && effectiveStatus(status, heldUntil, now) === 'RESERVED';

/**
 * The most common status among the counts; ties go to the earlier status in
 * SEAT_STATUSES. Null when there are no seats.
 */
export function dominantStatus(counts: Readonly<Record<SeatStatus, number>>): SeatStatus | null {
  let best: SeatStatus | null = null;
  for (const s of SEAT_STATUSES) {
    if (counts[s] > 0 && (best === null || counts[s] > counts[best])) best = s;
  }
  return best;
}
