import { afterAll, describe, expect, it } from 'vitest';
import { markOverdueOffers } from '../../src/modules/invoicing/payment-offers.service.ts';
import { generateOib } from '../../src/modules/identity/oib.ts';
import { emailTemplatesSeed } from '../../src/modules/notifications/email-templates.ts';
import { deliverEmailBatch, mailerOf } from '../../src/modules/notifications/email.delivery.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { startLocalSmtp } from '../harness/servers/smtp.ts';
import {
  addToCart,
  createFan,
  createSale,
  holdersFor,
  nameHolders,
  type SaleFixture,
} from '../sales/helpers.ts';
import { useInvoicingContext } from './helpers.ts';

/**
 * The daily overdue step tells finance (E8-F4): one email listing the offers that passed
 * their due date, through the outbox, to FINANCE_EMAIL — or without it to every active
 * FINANCE user — received by the local SMTP server; once, whoever runs the job.
 */
const smtp = await startLocalSmtp();
afterAll(() => smtp.close());
const FINANCE_BOX = 'financije@hns.hr';
const { t } = await useInvoicingContext({
  env: { SMTP_URL: smtp.url, FINANCE_EMAIL: `${FINANCE_BOX}, racunovodstvo@hns.hr` },
  seeds: [emailTemplatesSeed],
});

async function unpaidOrder(sale: SaleFixture, quantity = 1) {
  const fan = await createFan(t.deps);
  const add = await addToCart(t, fan, sale, quantity);
  const order = (await nameHolders(t, fan, add.json().cart.id, holdersFor(quantity))).json();
  return order as { id: string; total_amount: number };
}

async function sentOffer(finance: TestUser, name: string, terms: number, orders: string[]) {
  const debtor = await t.request({
    method: 'POST',
    url: '/admin/debtors',
    token: finance.token,
    payload: { name, oib: generateOib(), payment_terms_days: terms },
  });
  expect(debtor.statusCode).toBe(201);
  const offer = await t.request({
    method: 'POST',
    url: '/admin/payment-offers',
    token: finance.token,
    payload: { debtor_id: debtor.json().id, order_ids: orders },
  });
  expect(offer.statusCode).toBe(201);
  expect(offer.json().status).toBe('SENT');
  return offer.json() as {
    id: string;
    e_racuni_reference: string;
    due_date: string;
    total_amount: number;
  };
}

const deliverAll = async () => {
  while ((await deliverEmailBatch(t.deps, mailerOf(t.deps))) > 0);
};
const overdueMails = (from: number) =>
  smtp.received.slice(from).filter((m) => m.parsed.subject?.startsWith('Dospjele'));

describe('overdue payment offers tell finance (E8-F4)', () => {
  it('emails the finance address once, listing each overdue offer with debtor, number, due date and amount', async () => {
    const finance = await createUser(t.deps, { roles: ['FINANCE'] });
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 10, price: 2_000 });
    const a = await sentOffer(finance, 'NK Jadran', 10, [(await unpaidOrder(sale, 2)).id]);
    const b = await sentOffer(finance, 'INA d.d.', 10, [(await unpaidOrder(sale, 1)).id]);
    const later = await sentOffer(finance, 'HNK Kasni', 40, [(await unpaidOrder(sale, 1)).id]);
    const before = smtp.received.length;

    // On the due date nothing is overdue, and nobody is told.
    t.clock.advance(10 * 86_400_000);
    expect(await markOverdueOffers(t.deps)).toEqual([]);
    await deliverAll();
    expect(overdueMails(before)).toEqual([]);

    t.clock.advance(86_400_000);
    expect((await markOverdueOffers(t.deps)).sort()).toEqual([a.id, b.id].sort());
    await deliverAll();
    const mails = overdueMails(before);
    expect(mails.flatMap((m) => m.envelopeTo).sort()).toEqual(
      [FINANCE_BOX, 'racunovodstvo@hns.hr'].sort(),
    );
    const mail = mails[0]!.parsed;
    expect(mail.subject).toBe('Dospjele neplaćene ponude: 2');
    const total = ((a.total_amount + b.total_amount) / 100).toFixed(2).replace('.', ',');
    expect(mail.text).toContain(total);
    for (const [offer, debtor] of [
      [a, 'NK Jadran'],
      [b, 'INA d.d.'],
    ] as const) {
      const line = mail.text!.split('\n').find((l) => l.includes(offer.e_racuni_reference))!;
      expect(line).toContain(debtor);
      expect(line).toContain(offer.due_date);
      expect(line).toContain((offer.total_amount / 100).toFixed(2).replace('.', ','));
    }
    expect(mail.text).not.toContain(later.e_racuni_reference);
    expect(mail.text).toContain('/admin/payment-offers?status=OVERDUE');
    expect(mail.html).toContain('NK Jadran');

    // Run again (or by another worker at once): nothing left to mark, nobody told twice.
    const again = await Promise.all([markOverdueOffers(t.deps), markOverdueOffers(t.deps)]);
    expect(again).toEqual([[], []]);
    await deliverAll();
    expect(overdueMails(before)).toHaveLength(2);
  });

  it('without FINANCE_EMAIL tells every active FINANCE user, not other staff', async () => {
    const deps = { ...t.deps, config: { ...t.config, FINANCE_EMAIL: undefined } };
    const finance = await createUser(t.deps, { roles: ['FINANCE'] });
    const colleague = await createUser(t.deps, { roles: ['FINANCE'] });
    const away = await createUser(t.deps, { roles: ['FINANCE'] });
    await t.deps.db
      .updateTable('users')
      .set({ status: 'suspended' })
      .where('id', '=', away.id)
      .execute();
    const manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 4, price: 1_500 });
    const offer = await sentOffer(finance, 'NK Sloga', 5, [(await unpaidOrder(sale, 1)).id]);
    const before = smtp.received.length;
    t.clock.advance(6 * 86_400_000);
    expect(await markOverdueOffers(deps)).toEqual([offer.id]);
    await deliverAll();
    const to = overdueMails(before).flatMap((m) => m.envelopeTo);
    expect(to).toContain(finance.email);
    expect(to).toContain(colleague.email);
    expect(to).not.toContain(away.email);
    expect(to).not.toContain(manager.email);
    expect(overdueMails(before)[0]!.parsed.text).toContain('NK Sloga');
  });
});
