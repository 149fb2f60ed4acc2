import { mkdtemp } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../factories/users.ts';
import { tool } from '../harness/tools.ts';
import { createSale, useStripeTestContext, type SaleFixture } from '../sales/helpers.ts';
import { buy } from './helpers.ts';

/**
 * The operations page in a real browser: Debian's chromium (installed by .ci/run), driven
 * by playwright-core. It loads the page, signs in, sees the figures; seats are sold through
 * the API and the page's counts and seat map follow. The screenshot stays in a temporary
 * output directory (printed), for a human to look at.
 */
// Without a chromium (outside CI) the test is skipped; in CI a missing one fails it.
const CHROMIUM = process.env.CHROMIUM_PATH ?? tool('chromium', 'chromium-browser');

const { t, stripe } = await useStripeTestContext({ env: { DASHBOARD_INTERVAL_MS: '300' } });
let browser: Browser;
let base: string;
let sale: SaleFixture;

beforeAll(async () => {
  if (!CHROMIUM) return;
  sale = await createSale(t.deps, { sectors: 2, rows: 3, seatsPerRow: 8 });
  const app = await t.newApp();
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

describe.skipIf(!CHROMIUM)('the operations page /ops/match/{id}', () => {
  it('signs staff in, shows the live figures, and follows sales on the counts and the seat map', async () => {
    const manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(String(err)));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });

    await page.goto(`${base}/ops/match/${sale.matchId}`);
    expect(await page.locator('#login').isVisible()).toBe(true);
    await page.fill('#token-form input[name=access_token]', manager.token);
    await page.click('#token-form button');

    await page.waitForSelector('#live.on');
    await expect.poll(() => page.textContent('#k-sold')).toBe('0');
    expect(await page.textContent('#k-available')).toBe('48');
    await page.waitForSelector('#maps figure:nth-child(2) svg');
    await page.waitForSelector('#chart .uplot');
    const soldOnMap = () => page.locator('#maps rect.seat[data-status="SOLD"]').count();
    expect(await soldOnMap()).toBe(0);
    expect(await page.locator('#maps rect.seat[data-status="AVAILABLE"]').count()).toBe(48);

    await buy(t, stripe, sale, 3);
    await buy(t, stripe, sale, 2, sale.zoneIds[1]);

    await expect
      .poll(() => page.textContent('#k-sold'), { timeout: 10_000 })
      .toBe('5')
      .catch(async (e) => {
        console.log(errors, await page.textContent('#live'), await page.textContent('#error'));
        throw e;
      });
    expect(await page.textContent('#k-available')).toBe('43');
    await expect.poll(soldOnMap, { timeout: 10_000 }).toBe(5);
    const rows = await page.locator('#sectors tbody tr').allTextContents();
    expect(rows).toHaveLength(2);
    expect(
      await page.locator('#sectors tbody tr[data-sector="S1"] td:nth-child(3)').textContent(),
    ).toBe('3');
    expect(
      await page.locator('#sectors tbody tr[data-sector="S2"] td:nth-child(3)').textContent(),
    ).toBe('2');
    expect(await page.textContent('#k-pay')).toBe('100.0 %');

    const out = await mkdtemp(path.join(tmpdir(), 'hns-ops-page-'));
    const shot = path.join(out, 'ops-match.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`operations page screenshot: ${shot}`);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('asks to sign in again when the token is refused, and serves only its own assets', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/ops/match/${sale.matchId}`);
    await page.fill('#token-form input[name=access_token]', 'not-a-token');
    await page.click('#token-form button');
    await expect.poll(() => page.textContent('#login-error')).toContain('sign in again');
    await page.close();
    expect(
      (await t.request({ method: 'GET', url: '/ops/assets/../../package.json' })).statusCode,
    ).toBe(404);
    expect((await t.request({ method: 'GET', url: '/ops/assets/nothing.js' })).statusCode).toBe(
      404,
    );
    const js = await t.request({ method: 'GET', url: '/ops/assets/uPlot.iife.min.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toContain('javascript');
  });
});
