import { freshToken } from '../factories/users.ts';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { passAssets } from '../../src/modules/wallet/branding.ts';
import { readZip } from '../../src/platform/files/zip.ts';
import {
  makeAppleTestChain,
  TEST_PASS_TYPE,
  TEST_TEAM,
  useWalletWorld,
} from '../harness/wallet.ts';
import { createFan, useStripeTestContext, withClockAt } from '../sales/helpers.ts';
import { atQrTime, buyTickets } from './helpers.ts';

const wallet = await useWalletWorld();
const { t, stripe } = await useStripeTestContext({ env: wallet.env });

const scratch = mkdtempSync(path.join(tmpdir(), 'hns-pkpass-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const zagreb = (iso: string) =>
  new Intl.DateTimeFormat('hr-HR', {
    timeZone: 'Europe/Zagreb',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(iso));

async function unpack(body: Buffer) {
  const files = await readZip(body, { maxEntries: 100, maxTotalBytes: 10_000_000 });
  return new Map(files.map((f) => [f.name, f.data]));
}

/** openssl cms -verify of the detached PKCS#7 signature over manifest.json. */
function opensslVerify(
  files: Map<string, Buffer>,
  caFile: string,
): { ok: boolean; output: string } {
  const dir = mkdtempSync(path.join(scratch, 'v-'));
  writeFileSync(path.join(dir, 'manifest.json'), files.get('manifest.json')!);
  writeFileSync(path.join(dir, 'signature'), files.get('signature')!);
  try {
    const output = execFileSync(
      'openssl',
      [
        'smime',
        '-verify',
        '-binary',
        '-inform',
        'DER',
        '-in',
        'signature',
        '-content',
        'manifest.json',
        '-CAfile',
        caFile,
        '-purpose',
        'any',
        '-out',
        '/dev/null',
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return { ok: true, output: output.toString() };
  } catch (err) {
    return { ok: false, output: String((err as { stderr?: Buffer }).stderr ?? err) };
  }
}

describe('Apple Wallet pass (E9-F4)', () => {
  it('is a signed event ticket with match, Zagreb kick-off, stadium, seat, holder, the app QR, date and location', async () => {
    const { fan, ticket, sale } = await buyTickets(t, stripe);
    await t.deps.db
      .updateTable('stadiums')
      .set({ latitude: 45.8189, longitude: 16.0181, name: 'Stadion Maksimir' })
      .where(
        'id',
        '=',
        (
          await t.deps.db
            .selectFrom('matches')
            .select('venue_id')
            .where('id', '=', sale.matchId)
            .executeTakeFirstOrThrow()
        ).venue_id!,
      )
      .execute();
    const { res, mine } = await atQrTime(t, ticket, async () => ({
      res: await t.request({
        method: 'GET',
        url: `/tickets/${ticket.id}/wallet/apple`,
        token: await freshToken(t.deps, fan),
      }),
      mine: (
        await t.request({
          method: 'GET',
          url: `/tickets/${ticket.id}`,
          token: await freshToken(t.deps, fan),
        })
      ).json(),
    }));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.apple.pkpass');
    const files = await unpack(res.rawPayload);

    // SDK-generated bundle: pass.json, images, manifest with the SHA-1 of every other file
    const manifest = JSON.parse(files.get('manifest.json')!.toString()) as Record<string, string>;
    const listed = [...files.keys()]
      .filter((n) => n !== 'manifest.json' && n !== 'signature')
      .sort();
    expect(Object.keys(manifest).sort()).toEqual(listed);
    for (const name of listed) {
      expect(manifest[name], name).toBe(createHash('sha1').update(files.get(name)!).digest('hex'));
    }
    expect(listed).toEqual(
      expect.arrayContaining(['pass.json', 'icon.png', 'icon@2x.png', 'logo.png']),
    );
    expect(files.get('icon.png')).toEqual(passAssets()['icon.png']);

    // the signature verifies against the test root; the WWDR intermediate travels inside it
    const verified = opensslVerify(files, wallet.caPem);
    expect(verified.ok, verified.output).toBe(true);
    // …and not against another root
    const other = makeAppleTestChain();
    try {
      expect(opensslVerify(files, other.caPem).ok).toBe(false);
    } finally {
      rmSync(other.dir, { recursive: true, force: true });
    }
    // a manifest changed after signing fails
    const tampered = new Map(files);
    tampered.set(
      'manifest.json',
      Buffer.from(
        files
          .get('manifest.json')!
          .toString()
          .replace(/"pass.json":"[0-9a-f]/, '"pass.json":"x'),
      ),
    );
    expect(opensslVerify(tampered, wallet.caPem).ok).toBe(false);

    const pass = JSON.parse(files.get('pass.json')!.toString());
    expect(pass).toMatchObject({
      formatVersion: 1,
      serialNumber: ticket.id,
      passTypeIdentifier: TEST_PASS_TYPE,
      teamIdentifier: TEST_TEAM,
      organizationName: 'Hrvatski nogometni savez',
      webServiceURL: 'https://tickets.hns.example/wallet/apple',
      relevantDate: new Date(ticket.match.kick_off_time).toISOString(),
      locations: [{ latitude: 45.8189, longitude: 16.0181 }],
      barcodes: [{ format: 'PKBarcodeFormatQR', message: mine.qr_code_data }],
    });
    expect(pass.authenticationToken.length).toBeGreaterThanOrEqual(16);
    expect(pass.voided).toBeUndefined();
    const fields = Object.fromEntries(
      ['headerFields', 'primaryFields', 'secondaryFields', 'auxiliaryFields'].flatMap((k) =>
        (pass.eventTicket[k] as Array<{ key: string; value: string }>).map((f) => [f.key, f.value]),
      ),
    );
    expect(fields).toMatchObject({
      match: `${ticket.match.home_team} – ${ticket.match.away_team}`,
      sector: ticket.seat.sector_code,
      row: ticket.seat.row,
      seat: String(ticket.seat.seat_number),
      holder: mine.holder.full_name,
      venue: 'Stadion Maksimir, Zagreb',
    });
    expect(fields.kickoff).toContain(zagreb(ticket.match.kick_off_time));
    expect(mine.qr_code_data).toMatch(/^HNS1:/);
  });

  it('follows the visibility tiers: no seat and no barcode a month ahead, the seat from 4 days, the QR from 5 hours', async () => {
    const { fan, ticket } = await buyTickets(t, stripe);
    const kickOff = new Date(ticket.match.kick_off_time).getTime();
    const passAt = async (at: number) =>
      withClockAt(t, new Date(at), async () => {
        const res = await t.request({
          method: 'GET',
          url: `/tickets/${ticket.id}/wallet/apple`,
          token: await freshToken(t.deps, fan),
        });
        expect(res.statusCode).toBe(200);
        const pass = JSON.parse((await unpack(res.rawPayload)).get('pass.json')!.toString());
        const fields = [
          'headerFields',
          'primaryFields',
          'secondaryFields',
          'auxiliaryFields',
          'backFields',
        ].flatMap((k) => pass.eventTicket[k] as Array<{ key: string; value: string }>);
        return {
          pass,
          keys: fields.map((f) => f.key),
          notice: fields.find((f) => f.key === 'status')?.value,
        };
      });

    const early = await passAt(t.clock.now().getTime());
    expect(early.pass.barcodes ?? []).toEqual([]);
    expect(early.keys).not.toContain('seat');
    expect(early.notice).toMatch(/^Sjedalo od .* QR kod od /);
    expect(early.pass.voided).toBeUndefined();
    // refreshes are scheduled for when the seat and the QR open
    const jobs = await sql<{ start_after: Date }>`
      SELECT start_after FROM pgboss.job WHERE name = 'wallet.refresh' AND data->'ticket_ids' ? ${ticket.id}
      ORDER BY start_after`.execute(t.deps.db);
    expect(jobs.rows.map((r) => r.start_after.getTime())).toEqual([
      kickOff - 4 * 24 * 3_600_000,
      kickOff - 5 * 3_600_000,
    ]);

    const seatTier = await passAt(kickOff - 3 * 24 * 3_600_000);
    expect(seatTier.keys).toEqual(expect.arrayContaining(['sector', 'row', 'seat']));
    expect(seatTier.pass.barcodes ?? []).toEqual([]);
    expect(seatTier.notice).toMatch(/^QR kod od /);

    const full = await passAt(kickOff - 5 * 3_600_000);
    expect(full.pass.barcodes).toHaveLength(1);
    expect(full.notice).toBeUndefined();
  });

  it('is only for the ticket owner: another fan and an unknown id get 404, no token 401', async () => {
    const { ticket } = await buyTickets(t, stripe);
    const stranger = await createFan(t.deps);
    const other = await t.request({
      method: 'GET',
      url: `/tickets/${ticket.id}/wallet/apple`,
      token: await freshToken(t.deps, stranger),
    });
    expect(other.statusCode).toBe(404);
    expect(other.json().code).toBe('NOT_FOUND');
    const missing = await t.request({
      method: 'GET',
      url: `/tickets/${crypto.randomUUID()}/wallet/apple`,
      token: await freshToken(t.deps, stranger),
    });
    expect(missing.statusCode).toBe(404);
    const anonymous = await t.request({ method: 'GET', url: `/tickets/${ticket.id}/wallet/apple` });
    expect(anonymous.statusCode).toBe(401);
  });
});
