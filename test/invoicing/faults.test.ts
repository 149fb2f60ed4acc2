import { describe, expect, it } from 'vitest';
import { startService, stopService, type ServiceProcess } from '../../bench/lib/processes.ts';
import { createSale } from '../sales/helpers.ts';
import { waitFor } from '../harness/wait.ts';
import { TEST_JWT_SECRET, TEST_REDIS_URL } from '../harness/context.ts';
import { paidOrder, useInvoicingContext } from './helpers.ts';

/**
 * e-računi down for most of an on-sale, and the worker SIGKILLed in the middle: the sale
 * (checkout, payment webhooks in the API) is unaffected, and once e-računi and a worker are
 * back every paid order has exactly one invoice, at e-računi and here, for its total.
 */
const { t, stripe, eracuni } = await useInvoicingContext({ realTimeFiscaliseMs: 300 });

describe('invoicing through an e-računi outage and a SIGKILLed worker', () => {
  it('sells through, then invoices catch up with none missing or doubled', async () => {
    const env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: t.databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: t.redisPrefix,
      JWT_SECRETS: TEST_JWT_SECRET,
      JOBS_SCHEMA: t.config.JOBS_SCHEMA,
      ERACUNI_URL: eracuni.url,
      ERACUNI_USERNAME: eracuni.credentials.username,
      ERACUNI_PW: eracuni.credentials.password,
      ERACUNI_TOKEN: eracuni.credentials.token,
      ERACUNI_TIMEOUT_MS: '500',
      ERACUNI_ATTEMPTS: '2',
      // the local server has no rate limit; the real one's is tested in eracuni.test.ts
      ERACUNI_CALLS_PER_WINDOW: '100000',
      ERACUNI_RETRY_MS: '200',
      ERACUNI_POLL_MS: '200',
    };
    const sale = await createSale(t.deps, { rows: 2, seatsPerRow: 10, price: 1_800 });
    let worker: ServiceProcess | undefined = await startService('worker-1', 'worker', env);
    const orders: Array<{ id: string; total_amount: number }> = [];
    try {
      for (let i = 0; i < 3; i += 1) orders.push((await paidOrder(t, stripe, sale, 1)).order);
      await waitFor(async () => eracuni.documents.length >= 1, { timeoutMs: 20_000 });

      // e-računi goes away mid-run; the sale goes on
      await eracuni.stop();
      for (let i = 0; i < 4; i += 1) orders.push((await paidOrder(t, stripe, sale, 2)).order);
      // the worker dies hard while requests are failing and leased
      await stopService(worker, 'SIGKILL');
      worker = undefined;
      for (let i = 0; i < 3; i += 1) orders.push((await paidOrder(t, stripe, sale, 1)).order);

      await eracuni.start();
      worker = await startService('worker-2', 'worker', env);
      const done = async () => {
        const row = await t.deps.db
          .selectFrom('e_racuni_documents')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('status', '=', 'FISCALIZED')
          .executeTakeFirstOrThrow();
        return Number(row.n) === orders.length;
      };
      // leases of the killed worker run out after REQUEST_LEASE_MS; here the lease is
      // shortened by making the requests due (what the lease's end does)
      await t.deps.db
        .updateTable('e_racuni_requests')
        .set({ next_attempt_at: new Date(Date.now() - 1_000) })
        .where('status', '=', 'PENDING')
        .execute();
      // and status polls that backed off while e-računi was away are due again (the
      // backoff doubles per failed poll, up to 10 minutes in production)
      await t.deps.db
        .updateTable('e_racuni_documents')
        .set({ next_poll_at: new Date(Date.now() - 1_000) })
        .where('next_poll_at', 'is not', null)
        .execute();
      await waitFor(done, {
        timeoutMs: 60_000,
        intervalMs: 250,
        what: 'every order invoiced and fiscalised',
      });
    } finally {
      if (worker) await stopService(worker);
    }

    const docs = await t.deps.db.selectFrom('e_racuni_documents').selectAll().execute();
    expect(docs.map((d) => d.local_reference_id).sort()).toEqual(orders.map((o) => o.id).sort());
    for (const o of orders) {
      const reference = `HNS-INV-${o.id}`;
      const remote = eracuni.documents.filter((d) => d.reference === reference);
      expect(remote).toHaveLength(1);
      expect(remote[0]!.total).toBe(o.total_amount);
      expect(docs.find((d) => d.local_reference_id === o.id)!.total_amount).toBe(o.total_amount);
    }
    const pending = await t.deps.db
      .selectFrom('e_racuni_requests')
      .select('status')
      .where('status', '!=', 'DONE')
      .execute();
    expect(pending).toEqual([]);
  }, 150_000);
});
