import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  maskCriteria,
  maskEmail,
  maskPhone,
  normalizePhone,
  refundRequestPolicy,
  requesterIs,
  SUPPORT_WINDOW_MS,
} from './support.rules.ts';

const person = {
  full_name: 'Ana Anić',
  emails: ['ana@example.hr', null],
  phones: ['+385 91 123 4567'],
};

describe('requester check (E10-F2, E10-F3)', () => {
  it('needs the name and one of the contacts, however they are typed', () => {
    expect(requesterIs({ full_name: ' ana  ANIĆ ', contact: 'ANA@example.hr' }, person)).toBe(true);
    expect(requesterIs({ full_name: 'Ana Anić', contact: '091/123-4567' }, person)).toBe(true);
    expect(requesterIs({ full_name: 'Ana Anić', contact: '00385911234567' }, person)).toBe(true);
    expect(requesterIs({ full_name: 'Ana Anic', contact: 'ana@example.hr' }, person)).toBe(false);
    expect(requesterIs({ full_name: 'Ana Anić', contact: 'other@example.hr' }, person)).toBe(false);
    expect(requesterIs({ full_name: 'Ana Anić', contact: '091 765 4321' }, person)).toBe(false);
    expect(
      requesterIs({ full_name: 'Ana Anić', contact: 'a@b.hr' }, { ...person, full_name: null }),
    ).toBe(false);
  });

  it('a contact that is not theirs never passes, whatever the name (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.emailAddress(), (name, email) => {
        fc.pre(email.toLowerCase() !== 'ana@example.hr');
        return !requesterIs({ full_name: name, contact: email }, person);
      }),
    );
  });

  it('normalises phone numbers to international digits', () => {
    expect(normalizePhone('+385 91 123 4567')).toBe('385911234567');
    expect(normalizePhone('091 123 4567')).toBe('385911234567');
    expect(normalizePhone('0038591 1234567')).toBe('385911234567');
  });
});

describe('refund request policy (E10-F3)', () => {
  const kickOff = new Date('2027-03-20T19:45:00Z');
  const at = (msBefore: number) => new Date(kickOff.getTime() - msBefore);

  it('48 h or more: no reason, no approval; under 48 h: reason, approval above the threshold', () => {
    expect(refundRequestPolicy(kickOff, at(SUPPORT_WINDOW_MS + 1), 1e9, 100)).toEqual({
      within48h: false,
      reasonRequired: false,
      supervisorApproval: false,
    });
    expect(refundRequestPolicy(kickOff, at(SUPPORT_WINDOW_MS), 100, 100)).toEqual({
      within48h: true,
      reasonRequired: true,
      supervisorApproval: false,
    });
    expect(
      refundRequestPolicy(kickOff, at(SUPPORT_WINDOW_MS - 1), 101, 100).supervisorApproval,
    ).toBe(true);
  });

  it('approval only inside the window and only above the threshold (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -SUPPORT_WINDOW_MS, max: 10 * SUPPORT_WINDOW_MS }),
        fc.nat(1_000_000),
        fc.nat(1_000_000),
        (before, amount, threshold) => {
          const p = refundRequestPolicy(kickOff, at(before), amount, threshold);
          expect(p.within48h).toBe(before <= SUPPORT_WINDOW_MS);
          expect(p.reasonRequired).toBe(p.within48h);
          expect(p.supervisorApproval).toBe(p.within48h && amount > threshold);
        },
      ),
    );
  });
});

describe('masked search criteria for the audit trail (E10-F1)', () => {
  it('keeps no OIB, email or phone whole', () => {
    expect(
      maskCriteria({
        oib: '12345678903',
        email: 'ana.anic@example.hr',
        phone: '+385 91 123 4567',
        order_number: 'HNS-1',
        barcode: '123456789012345678',
      }),
    ).toEqual({
      oib: '*******8903',
      email: 'a***@example.hr',
      phone: '*********567',
      order_number: 'HNS-1',
      barcode: '123456789012345678',
    });
    expect(maskEmail('x')).toBe('***');
    expect(maskPhone('12')).toBe('***');
  });

  it('no 11-digit OIB survives masking (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{11}$/), (oib) => {
        expect(JSON.stringify(maskCriteria({ oib }))).not.toContain(oib.slice(0, 7));
      }),
    );
  });
});
