/**
 * Every error the API can answer, by stable machine code, mapped to its HTTP status in this
 * one place. Responses are RFC 9457 problem documents (see http/problem.ts). Modules add
 * their codes here so the catalogue stays complete and reviewable.
 */
export const problemCatalogue = {
  // platform
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  MALFORMED_JSON: { status: 400, title: 'The request body is not valid JSON' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication is required' },
  TOKEN_INVALID: { status: 401, title: 'The access token is invalid or expired' },
  FORBIDDEN: { status: 403, title: 'You are not allowed to do this' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such endpoint' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  CONFLICT: { status: 409, title: 'Conflict with the current state' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type' },
  UPLOAD_INVALID: { status: 400, title: 'The uploaded form cannot be read' },
  UNPROCESSABLE: { status: 422, title: 'The request cannot be processed' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  INTERNAL_ERROR: { status: 500, title: 'Internal server error' },
  DEPENDENCY_UNAVAILABLE: { status: 503, title: 'A required service is unavailable' },
  SHUTTING_DOWN: { status: 503, title: 'The server is shutting down' },
  SERVICE_BUSY: { status: 503, title: 'The service is busy, retry shortly' },
  // matches (E2-F1, E2-F2, E2-F4)
  INVALID_STATUS_TRANSITION: { status: 400, title: 'The match cannot take that status' },
  PHASES_OVERLAP: { status: 400, title: 'Sales phases of a match cannot overlap' },
  MATCH_NOT_EDITABLE: { status: 409, title: 'The match can no longer be changed' },
  CONFIG_LOCKED: { status: 409, title: 'The stadium configuration is locked' },
  CONFIG_NOT_LOCKED: { status: 409, title: 'The stadium configuration is not locked' },
  SALES_STARTED: { status: 409, title: 'Sales for the match have started' },
  TICKETS_SOLD: { status: 409, title: 'Tickets have been sold in this sector' },
  PRICE_CATEGORY_NAME_TAKEN: { status: 409, title: 'A price category with this name exists' },
  PRICE_CATEGORY_IN_USE: { status: 409, title: 'The price category is used by a sector' },
  // venues (E2-F3, E2-F5, E2-F10)
  SECTOR_CODE_TAKEN: { status: 409, title: 'A sector with this code exists in the stadium' },
  SECTOR_IN_USE: { status: 409, title: 'The sector has a seat map or is used by a match' },
  SEAT_MAP_INVALID: { status: 422, title: 'The seat map is not valid' },
  SEAT_MAP_EXISTS: { status: 409, title: 'The sector already has a seat map' },
  SEATS_ALREADY_GENERATED: { status: 409, title: 'Seats have already been generated' },
  SEATS_HAVE_TICKETS: { status: 409, title: 'Seats of the sector are sold or on sale' },
  SEATS_IN_USE: { status: 409, title: 'Seats of the sector are in a match inventory' },
  // inventory (E3-F1–F5)
  INVALID_SEAT_TRANSITION: { status: 400, title: 'The seat cannot move to that status' },
  SEAT_HELD: { status: 409, title: 'The seat is held by a quota, petrol or order hold' },
  SEAT_VERSION_CONFLICT: { status: 409, title: 'The seat was changed by someone else' },
  // identity (E1)
  SSO_TOKEN_INVALID: { status: 401, title: 'The Drupal token is invalid or expired' },
  SSO_UNAVAILABLE: { status: 503, title: 'The Drupal login service is unavailable' },
  USER_SUSPENDED: { status: 403, title: 'This account is suspended' },
  REFRESH_TOKEN_INVALID: { status: 401, title: 'The refresh token is invalid or expired' },
  REFRESH_TOKEN_REUSED: {
    status: 401,
    title: 'The refresh token was already used; the session has been revoked',
  },
  PROFILE_NOT_FOUND: { status: 404, title: 'No ticketing profile exists yet' },
  PROFILE_EXISTS: { status: 409, title: 'A ticketing profile already exists' },
  OIB_INVALID: { status: 422, title: 'The OIB is not valid' },
  // invoicing (E8-F4, E8-F5)
  DEBTOR_OIB_TAKEN: { status: 409, title: 'A debtor with this OIB exists already' },
  DEBTOR_IN_USE: { status: 409, title: 'The debtor has payment offers' },
  ORDERS_NOT_OFFERABLE: { status: 409, title: 'These orders cannot go into a payment offer' },
  OFFER_STATUS_CONFLICT: { status: 409, title: 'The payment offer cannot take that status' },
  ERACUNI_UNAVAILABLE: { status: 503, title: 'e-računi is unavailable, retry later' },
  ERACUNI_REJECTED: { status: 422, title: 'e-računi refused the document' },
  OIB_ALREADY_USED: { status: 409, title: 'The OIB is already in use' },
  OIB_IMMUTABLE: { status: 400, title: 'The OIB cannot be changed once set' },
  IDENTITY_DOCUMENT_REQUIRED: { status: 422, title: 'An identity document is required' },
  AGE_REQUIREMENT_NOT_MET: { status: 422, title: 'The age requirement is not met' },
  SAVED_PROFILE_LIMIT_REACHED: { status: 400, title: 'The saved profile limit is reached' },
  // sales, payments, tickets, blacklist (E4, E8, E9, E11)
  MATCH_NOT_ON_SALE: { status: 409, title: 'Tickets for this match are not on sale' },
  QUEUE_ADMISSION_REQUIRED: { status: 403, title: 'Wait for your turn in the queue' },
  SEATS_INSUFFICIENT: { status: 409, title: 'Not enough seats are available in this zone' },
  PURCHASE_LIMIT_EXCEEDED: { status: 409, title: 'The per-match ticket limit would be exceeded' },
  LOYALTY_NOT_ELIGIBLE: {
    status: 403,
    title: 'Your loyalty points do not reach a tier of this sales phase',
  },
  CART_EXPIRED: { status: 409, title: 'The cart has expired and its seats were released' },
  HOLDER_LOCKED: { status: 400, title: 'The first ticket holder is the buyer and cannot change' },
  HOLDERS_MISMATCH: { status: 400, title: 'One ticket holder is needed for every seat' },
  BLACKLISTED: { status: 403, title: 'A ticket holder may not attend football matches' },
  BLACKLIST_ENTRY_EXISTS: { status: 409, title: 'The OIB is already on the blacklist' },
  BLACKLIST_ENTRY_NOT_ACTIVE: { status: 409, title: 'The blacklist entry is not active' },
  BLACKLIST_IMPORT_FILE_INVALID: { status: 400, title: 'The blacklist file cannot be read' },
  ORDER_NOT_PAYABLE: { status: 409, title: 'The order cannot be paid in its current state' },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    title: 'The Idempotency-Key was used for a different request',
  },
  PAYMENT_PROVIDER_ERROR: { status: 502, title: 'The payment provider did not answer' },
  TRANSFER_NOT_ALLOWED: { status: 403, title: 'This ticket may not be transferred' },
  QUOTA_TRANSFER_NOT_ALLOWED: {
    status: 403,
    title: 'The quota this ticket was claimed from does not allow transfers',
  },
  TRANSFER_CLOSED: { status: 409, title: 'Transfers for this match have closed' },
  TICKET_NOT_TRANSFERABLE: { status: 409, title: 'The ticket cannot be transferred in its state' },
  TRANSFER_RECIPIENT_UNKNOWN: {
    status: 422,
    title: 'The new holder needs an account with this email',
  },
  HOLDER_HAS_TICKET: { status: 409, title: 'The new holder already holds a ticket for the match' },
  QR_NOT_YET_AVAILABLE: { status: 403, title: 'The QR code is shown from 5 hours before kick-off' },
  TICKET_NOT_VALID: { status: 409, title: 'The ticket no longer admits anyone' },
  ORDER_BUYER_ONLY: { status: 403, title: 'Only the buyer of the order may see or change it' },
  WEBHOOK_SIGNATURE_INVALID: { status: 400, title: 'The webhook signature is not valid' },
  // access control, closure and loyalty (E2-F8, E2-F9, E13, E6)
  MATCH_NOT_EXPORTABLE: {
    status: 409,
    title: 'The match has no turnstile export in its status',
  },
  MATCH_ALREADY_CLOSED: { status: 409, title: 'The match is already closed' },
  // match cancellation (E2-F7)
  MATCH_CANCELLED: { status: 409, title: 'The match was cancelled' },
  MATCH_ALREADY_CANCELLED: { status: 409, title: 'The match is already cancelled' },
  ATTENDANCE_FILE_INVALID: { status: 422, title: 'The attendance file cannot be read' },
  LOYALTY_IMPORT_INVALID: { status: 422, title: 'The loyalty points file has invalid lines' },
  // refunds and cancellations (E8-F3, E9-F8)
  ORDER_NOT_REFUNDABLE: { status: 409, title: 'The order is not paid, so nothing can go back' },
  TICKET_NOT_IN_ORDER: { status: 422, title: 'A ticket named is not a ticket of this order' },
  TICKET_NOT_REFUNDABLE: {
    status: 409,
    title: 'The ticket is already refunded, cancelled, used or in a refund',
  },
  REFUND_EXCEEDS_PAYMENT: { status: 409, title: 'The refunds would exceed what was paid' },
  REFUND_STATE_CONFLICT: { status: 409, title: 'The refund is not in a state that allows this' },
  REFUND_SELF_APPROVAL: {
    status: 403,
    title: 'A refund is approved or rejected by a SUPER_ADMIN other than its requester',
  },
  CANCELLATION_CLOSED: { status: 409, title: 'Cancellations for this match have closed' },
  TICKET_NOT_CANCELLABLE: {
    status: 409,
    title: 'The ticket was transferred, cancelled, used or refunded',
  },
  // quotas (E7)
  QUOTA_SECTOR_INVALID: { status: 400, title: 'A sector cannot take quota seats' },
  QUOTA_MATCH_CLOSED: { status: 409, title: 'The match no longer takes quotas' },
  QUOTA_SEATS_INSUFFICIENT: { status: 409, title: 'Not enough free seats for the quota' },
  QUOTA_NOT_CANCELLABLE: { status: 409, title: 'The quota cannot be cancelled in its state' },
  QUOTA_CLOSED: { status: 409, title: 'The quota can no longer be claimed' },
  QUOTA_SEAT_UNAVAILABLE: { status: 409, title: 'A seat is not free in the quota' },
  QUOTA_CLAIM_EXPIRED: {
    status: 409,
    title: 'The claim has expired; its seats went back to the quota',
  },
  QUOTA_CLAIM_NOT_PAYABLE: { status: 409, title: 'The claim cannot be paid in its state' },
  SUBQUOTAS_NOT_ALLOWED: { status: 403, title: 'This quota may not be split into sub-quotas' },
  SUBQUOTA_NOT_RETRACTABLE: { status: 400, title: 'Only an ALLOCATED sub-quota can be retracted' },
  QUOTA_IMPORT_FILE_INVALID: { status: 400, title: 'The quota file cannot be read' },
  QUOTA_TYPE_PETROL: {
    status: 422,
    title: 'Petrol quotas are managed under /admin/petrol/quotas only',
  },
  // petrol (E12-F1 … E12-F4)
  PETROL_NOT_AVAILABLE: { status: 404, title: 'The match has no petrol-station sale' },
  PETROL_SOLD_OUT: { status: 409, title: 'The petrol-station allocation is sold out' },
  PETROL_PIN_MALFORMED: { status: 400, title: 'A PIN is exactly 5 digits' },
  PETROL_PIN_NOT_FOUND: { status: 404, title: 'No valid PIN with this number' },
  PETROL_PIN_EXPIRED: { status: 410, title: 'The PIN has expired' },
  PETROL_PIN_USED: { status: 409, title: 'The PIN has been used for a sale already' },
  PETROL_PIN_RESERVED: { status: 409, title: 'Another cashier holds seats for this PIN' },
  PETROL_PIN_IN_USE: { status: 409, title: 'Your PIN is being served at a petrol station' },
  PETROL_LOOKUP_LIMITED: { status: 429, title: 'Too many failed PIN lookups; wait and retry' },
  PETROL_STAFF_NO_STATION: { status: 403, title: 'You are not assigned to a petrol station' },
  PETROL_RESERVATION_NOT_YOURS: {
    status: 403,
    title: 'The reservation belongs to another cashier',
  },
  PETROL_RESERVATION_EXPIRED: { status: 409, title: 'The reservation has run out' },
  PETROL_RESERVATION_CLOSED: { status: 409, title: 'The reservation is no longer open' },
  PETROL_QUOTA_EXISTS: { status: 409, title: 'The match has an active petrol quota already' },
  PETROL_MATCH_INVALID: {
    status: 422,
    title: 'The match does not exist or has no locked stadium configuration',
  },
  PETROL_STATION_CODE_TAKEN: { status: 409, title: 'A petrol station with this code exists' },
  // wallet: passes (E9-F4) and away-match PDFs (E9-F6)
  EXTERNAL_TICKET_REQUIRED: {
    status: 409,
    title: "This ticket is admitted by the host federation's PDF, not by a QR code",
  },
  WALLET_NOT_CONFIGURED: { status: 503, title: 'Wallet passes are not configured' },
  WALLET_PASS_AUTH_INVALID: { status: 401, title: 'The pass authentication token is not valid' },
  NOT_AN_AWAY_MATCH: { status: 409, title: 'Host PDFs are only taken for away matches' },
  PDF_INVALID: { status: 422, title: 'The file is not a readable PDF or zip of PDFs' },
  PDF_ENCRYPTED: { status: 422, title: 'The PDF is encrypted' },
  ZIP_LIMITS_EXCEEDED: { status: 413, title: 'The zip has too many entries or unpacks too large' },
  PDF_ALREADY_UPLOADED: { status: 409, title: 'This file was already uploaded for the match' },
  PDF_ALREADY_ASSIGNED: { status: 409, title: 'The PDF or the ticket is already assigned' },
  TICKET_NOT_OF_MATCH: { status: 422, title: 'The ticket is not a valid ticket of this match' },
  // waiting room (E5)
  MATCH_NOT_FOUND: { status: 404, title: 'The match was not found' },
  QUEUE_NOT_OPEN: { status: 409, title: 'The waiting room of this match is not open' },
  QUEUE_ENTRY_NOT_FOUND: { status: 404, title: 'You are not in the waiting room of this match' },
  // sector-to-sector transfer (E3-F6)
  SECTOR_TRANSFER_NO_ROOM: {
    status: 409,
    title: 'The destination sector has too few free seats for the tickets to move',
  },
  SECTOR_TRANSFER_NOTHING_TO_MOVE: {
    status: 409,
    title: 'No valid ticket sits on the source seats',
  },
  // support desk (E10)
  SEARCH_CRITERIA_REQUIRED: { status: 400, title: 'Name at least one search criterion' },
  SUPPORT_TRANSFER_CLOSED: {
    status: 400,
    title: 'Support transfers are not possible less than 48 hours before kick-off',
  },
  REQUESTER_NOT_OWNER: {
    status: 403,
    title: 'The requester is not the buyer or holder of this order or ticket',
  },
  REFUND_REASON_REQUIRED: {
    status: 400,
    title: 'A reason is required for a refund less than 48 hours before kick-off',
  },
  NOT_A_SUPPORT_REFUND: { status: 404, title: 'No support refund request with this id' },
  IDENTITY_NOT_VERIFIED: {
    status: 422,
    title: "An emergency print needs the holder's identity checked against a document",
  },
  // reports (E14)
  REPORT_NOT_READY: { status: 409, title: 'The export has not finished' },
  DOWNLOAD_LINK_INVALID: { status: 403, title: 'The download link is invalid or has expired' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof problemCatalogue;

export interface FieldError {
  /** JSON pointer-ish path of the offending field, e.g. `body.holders.1.oib`. */
  field: string;
  message: string;
}

/** Throw this from services; the error handler turns it into a problem response. */
export class AppError extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly errors?: FieldError[];
  readonly extra?: Record<string, unknown>;

  constructor(
    code: ProblemCode,
    detail?: string,
    options: { errors?: FieldError[]; extra?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(detail ?? problemCatalogue[code].title, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = problemCatalogue[code].status;
    this.errors = options.errors;
    this.extra = options.extra;
  }
}

export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} was not found`);
