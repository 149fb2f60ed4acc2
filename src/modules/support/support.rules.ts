/**
 * Pure rules of the support desk (E10): how a requester is recognised as the buyer or
 * holder, the refund request policy around the 48 hours before kick-off, and how search
 * criteria are masked for the audit trail. No I/O; unit and property tested.
 */

/** Support refund requests and transfers change rules this long before kick-off. */
export const SUPPORT_WINDOW_MS = 48 * 3_600_000;

/** Digits only, with a Croatian national prefix (0…) written as +385: `091 123 4567` = `+385911234567`. */
export function normalizePhone(value: string): string {
  let digits = value.replace(/\D/g, '');
  if (digits.startsWith('00')) digits = digits.slice(2);
  else if (digits.startsWith('0')) digits = `385${digits.slice(1)}`;
  return digits;
}

/** Lower case, accents kept, inner whitespace collapsed. */
export const normalizeName = (value: string) =>
  value.trim().replace(/\s+/g, ' ').toLocaleLowerCase('hr');

export const normalizeEmail = (value: string) => value.trim().toLowerCase();

/** What the agent is told by the caller on the phone or at the desk. */
export interface Requester {
  full_name: string;
  /** An email address or a phone number. */
  contact: string;
}

/** A person the desk may act for: the buyer (order) or the holder / owner (ticket). */
export interface KnownPerson {
  full_name: string | null;
  emails: Array<string | null>;
  phones: Array<string | null>;
}

const isEmail = (contact: string) => contact.includes('@');

/**
 * The requester is this person when the name is theirs and the contact is one of their
 * emails or phones. Both are needed: a name alone is guessable, a contact alone may be a
 * relative's shared inbox.
 */
export function requesterIs(requester: Requester, person: KnownPerson): boolean {
  if (!person.full_name || normalizeName(requester.full_name) !== normalizeName(person.full_name)) {
    return false;
  }
  if (isEmail(requester.contact)) {
    const email = normalizeEmail(requester.contact);
    return person.emails.some((e) => e !== null && normalizeEmail(e) === email);
  }
  const phone = normalizePhone(requester.contact);
  return phone.length >= 6 && person.phones.some((p) => p !== null && normalizePhone(p) === phone);
}

export type RefundRequestPolicy =
  /** 48 h or more before kick-off: no reason needed, refunded at once. */
  | { within48h: false; reasonRequired: false; supervisorApproval: false }
  /** Less than 48 h: a reason is required; above the threshold a supervisor approves. */
  | { within48h: true; reasonRequired: true; supervisorApproval: boolean };

/**
 * E10-F3: the rule for a refund request taken at `now` for a match kicking off at
 * `kickOff`, of `amount` cents, with the approval threshold in cents. Exactly 48 h before
 * kick-off is already inside the window (as transfers close at that instant).
 */
export function refundRequestPolicy(
  kickOff: Date,
  now: Date,
  amount: number,
  threshold: number,
): RefundRequestPolicy {
  if (now.getTime() < kickOff.getTime() - SUPPORT_WINDOW_MS) {
    return { within48h: false, reasonRequired: false, supervisorApproval: false };
  }
  return { within48h: true, reasonRequired: true, supervisorApproval: amount > threshold };
}

/** `ana.anic@example.hr` → `a***@example.hr`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

/** Only the last 3 digits: `+385 91 123 4567` → `*********567`. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return digits.length <= 3 ? '***' : '*'.repeat(digits.length - 3) + digits.slice(-3);
}

/** Last 4 digits of an OIB, the form every log and response shows. */
export function maskOibValue(oib: string): string {
  return oib.length <= 4 ? '****' : '*'.repeat(oib.length - 4) + oib.slice(-4);
}

export interface SearchCriteria {
  oib?: string;
  order_number?: string;
  email?: string;
  phone?: string;
  match_id?: string;
  barcode?: string;
}

/**
 * The criteria as the audit trail keeps them: the agent's search is on record without
 * the personal data it named (OIB last 4, email first letter and domain, phone last 3).
 * Order numbers, match ids and barcodes identify no person and stay whole.
 */
export function maskCriteria(criteria: SearchCriteria): Record<string, string> {
  const out: Record<string, string> = {};
  if (criteria.oib !== undefined) out.oib = maskOibValue(criteria.oib);
  if (criteria.order_number !== undefined) out.order_number = criteria.order_number;
  if (criteria.email !== undefined) out.email = maskEmail(criteria.email);
  if (criteria.phone !== undefined) out.phone = maskPhone(criteria.phone);
  if (criteria.match_id !== undefined) out.match_id = criteria.match_id;
  if (criteria.barcode !== undefined) out.barcode = criteria.barcode;
  return out;
}
