/**
 * The transactional email templates of the system, in Croatian and English (E15-F1).
 * `emailTemplatesSeed` inserts them; rows that already exist are left alone, so an admin's
 * edit of a subject or body survives later seeds and deploys. `variables` is the contract
 * with the callers of `sendEmail`: every listed variable must be supplied.
 */
import type { Seed } from '../../platform/seeds.ts';
import type { Locale } from './notify.ts';
import { upsertSeedTemplate } from './email.repo.ts';

interface LocalizedTemplate {
  name: string;
  subject: string;
  /** Inner HTML; wrapped in the common layout. */
  html: string;
  text: string;
}

export interface TemplateDefinition {
  key: string;
  variables: string[];
  hr: LocalizedTemplate;
  en: LocalizedTemplate;
}

const FOOTER: Record<Locale, { html: string; text: string }> = {
  hr: {
    html: 'Hrvatski nogometni savez · Ulaznice · Ova je poruka poslana automatski, molimo ne odgovarajte na nju.',
    text: 'Hrvatski nogometni savez · Ulaznice\nOva je poruka poslana automatski, molimo ne odgovarajte na nju.',
  },
  en: {
    html: 'Croatian Football Federation · Tickets · This message was sent automatically, please do not reply.',
    text: 'Croatian Football Federation · Tickets\nThis message was sent automatically, please do not reply.',
  },
};

function layout(locale: Locale, inner: string): string {
  return `<!DOCTYPE html>
<html lang="${locale}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="margin:0;padding:0;background:#f4f4f4;font-family:Arial,Helvetica,sans-serif;color:#1a1a1a">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:24px">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="background:#ffffff;border-top:6px solid #d50000">
<tr><td style="padding:24px 32px;font-size:15px;line-height:1.5">
${inner}
</td></tr>
<tr><td style="padding:16px 32px;font-size:12px;color:#666666;border-top:1px solid #eeeeee">${FOOTER[locale].html}</td></tr>
</table></td></tr></table>
</body>
</html>
`;
}

const text = (locale: Locale, body: string) => `${body}\n\n--\n${FOOTER[locale].text}\n`;
const button = (href: string, label: string) =>
  `<p><a href="${href}" style="display:inline-block;background:#d50000;color:#ffffff;padding:10px 20px;text-decoration:none">${label}</a></p>`;

export const TEMPLATE_DEFINITIONS: TemplateDefinition[] = [
  {
    key: 'order_confirmation',
    variables: [
      'customer_name',
      'order_number',
      'match_name',
      'kickoff',
      'ticket_count',
      'total_amount',
      'order_url',
    ],
    hr: {
      name: 'Potvrda narudžbe',
      subject: 'Potvrda narudžbe {{order_number}} – {{match_name}}',
      html: `<h1>Hvala na kupnji!</h1>
<p>Poštovani/a {{customer_name}},</p>
<p>Vaša narudžba <strong>{{order_number}}</strong> je potvrđena i plaćena.</p>
<p>Utakmica: <strong>{{match_name}}</strong><br>Početak: {{kickoff}}<br>Broj ulaznica: {{ticket_count}}<br>Ukupno plaćeno: {{total_amount}}</p>
${button('{{order_url}}', 'Pregledaj narudžbu')}`,
      text: `Hvala na kupnji!

Poštovani/a {{customer_name}},
Vaša narudžba {{order_number}} je potvrđena i plaćena.

Utakmica: {{match_name}}
Početak: {{kickoff}}
Broj ulaznica: {{ticket_count}}
Ukupno plaćeno: {{total_amount}}

Narudžba: {{order_url}}`,
    },
    en: {
      name: 'Order confirmation',
      subject: 'Order confirmation {{order_number}} – {{match_name}}',
      html: `<h1>Thank you for your purchase!</h1>
<p>Dear {{customer_name}},</p>
<p>Your order <strong>{{order_number}}</strong> is confirmed and paid.</p>
<p>Match: <strong>{{match_name}}</strong><br>Kick-off: {{kickoff}}<br>Tickets: {{ticket_count}}<br>Total paid: {{total_amount}}</p>
${button('{{order_url}}', 'View order')}`,
      text: `Thank you for your purchase!

Dear {{customer_name}},
Your order {{order_number}} is confirmed and paid.

Match: {{match_name}}
Kick-off: {{kickoff}}
Tickets: {{ticket_count}}
Total paid: {{total_amount}}

Order: {{order_url}}`,
    },
  },
  {
    key: 'ticket_delivery',
    variables: ['customer_name', 'match_name', 'kickoff', 'venue', 'ticket_count', 'tickets_url'],
    hr: {
      name: 'Dostava ulaznica',
      subject: 'Vaše ulaznice za {{match_name}}',
      html: `<h1>Vaše ulaznice su spremne</h1>
<p>Poštovani/a {{customer_name}},</p>
<p>Ulaznice ({{ticket_count}}) za utakmicu <strong>{{match_name}}</strong> možete preuzeti u aplikaciji ili putem poveznice ispod.</p>
<p>Početak: {{kickoff}}<br>Stadion: {{venue}}</p>
<p>Na ulazu pokažite QR kôd s ulaznice. Ne dijelite kôd s drugima.</p>
${button('{{tickets_url}}', 'Moje ulaznice')}`,
      text: `Vaše ulaznice su spremne

Poštovani/a {{customer_name}},
ulaznice ({{ticket_count}}) za utakmicu {{match_name}} možete preuzeti u aplikaciji ili na: {{tickets_url}}

Početak: {{kickoff}}
Stadion: {{venue}}

Na ulazu pokažite QR kôd s ulaznice. Ne dijelite kôd s drugima.`,
    },
    en: {
      name: 'Ticket delivery',
      subject: 'Your tickets for {{match_name}}',
      html: `<h1>Your tickets are ready</h1>
<p>Dear {{customer_name}},</p>
<p>Your tickets ({{ticket_count}}) for <strong>{{match_name}}</strong> are in the app and at the link below.</p>
<p>Kick-off: {{kickoff}}<br>Stadium: {{venue}}</p>
<p>Show the QR code of each ticket at the gate. Do not share the code.</p>
${button('{{tickets_url}}', 'My tickets')}`,
      text: `Your tickets are ready

Dear {{customer_name}},
your tickets ({{ticket_count}}) for {{match_name}} are in the app and at: {{tickets_url}}

Kick-off: {{kickoff}}
Stadium: {{venue}}

Show the QR code of each ticket at the gate. Do not share the code.`,
    },
  },
  {
    key: 'quota_invitation',
    variables: [
      'recipient_name',
      'quota_name',
      'match_name',
      'kickoff',
      'ticket_count',
      'accept_url',
      'expires_at',
    ],
    hr: {
      name: 'Poziv za kvotu',
      subject: 'Dodijeljena vam je kvota ulaznica za {{match_name}}',
      html: `<h1>Dodijeljena vam je kvota</h1>
<p>Poštovani/a {{recipient_name}},</p>
<p>Hrvatski nogometni savez dodijelio vam je kvotu <strong>{{quota_name}}</strong> od {{ticket_count}} ulaznica za utakmicu <strong>{{match_name}}</strong> ({{kickoff}}).</p>
<p>Kvotu preuzmite i rasporedite do {{expires_at}}; nakon toga neiskorištena mjesta vraćaju se u prodaju.</p>
${button('{{accept_url}}', 'Preuzmi kvotu')}`,
      text: `Dodijeljena vam je kvota

Poštovani/a {{recipient_name}},
Hrvatski nogometni savez dodijelio vam je kvotu {{quota_name}} od {{ticket_count}} ulaznica za utakmicu {{match_name}} ({{kickoff}}).
Kvotu preuzmite i rasporedite do {{expires_at}}; nakon toga neiskorištena mjesta vraćaju se u prodaju.

Preuzmi kvotu: {{accept_url}}`,
    },
    en: {
      name: 'Quota invitation',
      subject: 'A ticket quota for {{match_name}} has been allocated to you',
      html: `<h1>A quota has been allocated to you</h1>
<p>Dear {{recipient_name}},</p>
<p>The Croatian Football Federation has allocated you the quota <strong>{{quota_name}}</strong> of {{ticket_count}} tickets for <strong>{{match_name}}</strong> ({{kickoff}}).</p>
<p>Claim and assign it by {{expires_at}}; unused seats then return to general sale.</p>
${button('{{accept_url}}', 'Claim quota')}`,
      text: `A quota has been allocated to you

Dear {{recipient_name}},
the Croatian Football Federation has allocated you the quota {{quota_name}} of {{ticket_count}} tickets for {{match_name}} ({{kickoff}}).
Claim and assign it by {{expires_at}}; unused seats then return to general sale.

Claim quota: {{accept_url}}`,
    },
  },
  {
    key: 'subquota_invitation',
    variables: [
      'recipient_name',
      'parent_holder_name',
      'match_name',
      'kickoff',
      'ticket_count',
      'accept_url',
      'expires_at',
    ],
    hr: {
      name: 'Poziv za podkvotu',
      subject: '{{parent_holder_name}} vam je dodijelio/la ulaznice za {{match_name}}',
      html: `<h1>Dodijeljene su vam ulaznice</h1>
<p>Poštovani/a {{recipient_name}},</p>
<p><strong>{{parent_holder_name}}</strong> vam je iz svoje kvote dodijelio/la {{ticket_count}} ulaznica za utakmicu <strong>{{match_name}}</strong> ({{kickoff}}).</p>
<p>Ulaznice preuzmite do {{expires_at}}.</p>
${button('{{accept_url}}', 'Preuzmi ulaznice')}`,
      text: `Dodijeljene su vam ulaznice

Poštovani/a {{recipient_name}},
{{parent_holder_name}} vam je iz svoje kvote dodijelio/la {{ticket_count}} ulaznica za utakmicu {{match_name}} ({{kickoff}}).
Ulaznice preuzmite do {{expires_at}}.

Preuzmi ulaznice: {{accept_url}}`,
    },
    en: {
      name: 'Sub-quota invitation',
      subject: '{{parent_holder_name}} has allocated you tickets for {{match_name}}',
      html: `<h1>Tickets have been allocated to you</h1>
<p>Dear {{recipient_name}},</p>
<p><strong>{{parent_holder_name}}</strong> has allocated you {{ticket_count}} tickets from their quota for <strong>{{match_name}}</strong> ({{kickoff}}).</p>
<p>Claim them by {{expires_at}}.</p>
${button('{{accept_url}}', 'Claim tickets')}`,
      text: `Tickets have been allocated to you

Dear {{recipient_name}},
{{parent_holder_name}} has allocated you {{ticket_count}} tickets from their quota for {{match_name}} ({{kickoff}}).
Claim them by {{expires_at}}.

Claim tickets: {{accept_url}}`,
    },
  },
  {
    key: 'quota_cancelled',
    variables: ['recipient_name', 'match_name', 'kickoff', 'returned_count', 'portal_url'],
    hr: {
      name: 'Kvota otkazana',
      subject: 'Vaša kvota ulaznica za {{match_name}} je otkazana',
      html: `<h1>Kvota je otkazana</h1>
<p>Poštovani/a {{recipient_name}},</p>
<p>Hrvatski nogometni savez otkazao je vašu kvotu za utakmicu <strong>{{match_name}}</strong> ({{kickoff}}). Neiskorištena mjesta ({{returned_count}}) vraćena su u prodaju; već izdane ulaznice vrijede i dalje.</p>
${button('{{portal_url}}', 'Otvori portal')}`,
      text: `Kvota je otkazana

Poštovani/a {{recipient_name}},
Hrvatski nogometni savez otkazao je vašu kvotu za utakmicu {{match_name}} ({{kickoff}}). Neiskorištena mjesta ({{returned_count}}) vraćena su u prodaju; već izdane ulaznice vrijede i dalje.

Portal: {{portal_url}}`,
    },
    en: {
      name: 'Quota cancelled',
      subject: 'Your ticket quota for {{match_name}} has been cancelled',
      html: `<h1>Your quota has been cancelled</h1>
<p>Dear {{recipient_name}},</p>
<p>The Croatian Football Federation has cancelled your quota for <strong>{{match_name}}</strong> ({{kickoff}}). The unused seats ({{returned_count}}) have returned to general sale; tickets already issued remain valid.</p>
${button('{{portal_url}}', 'Open the portal')}`,
      text: `Your quota has been cancelled

Dear {{recipient_name}},
the Croatian Football Federation has cancelled your quota for {{match_name}} ({{kickoff}}). The unused seats ({{returned_count}}) have returned to general sale; tickets already issued remain valid.

Portal: {{portal_url}}`,
    },
  },
  {
    key: 'quota_expiring',
    variables: [
      'recipient_name',
      'match_name',
      'kickoff',
      'unclaimed_count',
      'expires_at',
      'portal_url',
    ],
    hr: {
      name: 'Kvota uskoro istječe',
      subject: 'Kvota za {{match_name}} istječe {{expires_at}}',
      html: `<h1>Kvota uskoro istječe</h1>
<p>Poštovani/a {{recipient_name}},</p>
<p>U vašoj kvoti za utakmicu <strong>{{match_name}}</strong> ({{kickoff}}) još je {{unclaimed_count}} nepreuzetih mjesta. Preuzmite ih do {{expires_at}}; nakon toga vraćaju se u prodaju.</p>
${button('{{portal_url}}', 'Preuzmi kvotu')}`,
      text: `Kvota uskoro istječe

Poštovani/a {{recipient_name}},
u vašoj kvoti za utakmicu {{match_name}} ({{kickoff}}) još je {{unclaimed_count}} nepreuzetih mjesta. Preuzmite ih do {{expires_at}}; nakon toga vraćaju se u prodaju.

Portal: {{portal_url}}`,
    },
    en: {
      name: 'Quota expiring soon',
      subject: 'Your quota for {{match_name}} expires {{expires_at}}',
      html: `<h1>Your quota expires soon</h1>
<p>Dear {{recipient_name}},</p>
<p>Your quota for <strong>{{match_name}}</strong> ({{kickoff}}) still has {{unclaimed_count}} unclaimed seats. Claim them by {{expires_at}}; after that they return to general sale.</p>
${button('{{portal_url}}', 'Claim quota')}`,
      text: `Your quota expires soon

Dear {{recipient_name}},
your quota for {{match_name}} ({{kickoff}}) still has {{unclaimed_count}} unclaimed seats. Claim them by {{expires_at}}; after that they return to general sale.

Portal: {{portal_url}}`,
    },
  },
  {
    key: 'quota_expired',
    variables: ['recipient_name', 'match_name', 'kickoff', 'returned_count', 'portal_url'],
    hr: {
      name: 'Kvota istekla',
      subject: 'Kvota za {{match_name}} je istekla',
      html: `<h1>Kvota je istekla</h1>
<p>Poštovani/a {{recipient_name}},</p>
<p>Rok za preuzimanje vaše kvote za utakmicu <strong>{{match_name}}</strong> ({{kickoff}}) je prošao. Nepreuzeta mjesta ({{returned_count}}) vraćena su u prodaju; preuzete ulaznice vrijede i dalje.</p>
${button('{{portal_url}}', 'Otvori portal')}`,
      text: `Kvota je istekla

Poštovani/a {{recipient_name}},
rok za preuzimanje vaše kvote za utakmicu {{match_name}} ({{kickoff}}) je prošao. Nepreuzeta mjesta ({{returned_count}}) vraćena su u prodaju; preuzete ulaznice vrijede i dalje.

Portal: {{portal_url}}`,
    },
    en: {
      name: 'Quota expired',
      subject: 'Your quota for {{match_name}} has expired',
      html: `<h1>Your quota has expired</h1>
<p>Dear {{recipient_name}},</p>
<p>The deadline of your quota for <strong>{{match_name}}</strong> ({{kickoff}}) has passed. The unclaimed seats ({{returned_count}}) have returned to general sale; tickets you claimed remain valid.</p>
${button('{{portal_url}}', 'Open the portal')}`,
      text: `Your quota has expired

Dear {{recipient_name}},
the deadline of your quota for {{match_name}} ({{kickoff}}) has passed. The unclaimed seats ({{returned_count}}) have returned to general sale; tickets you claimed remain valid.

Portal: {{portal_url}}`,
    },
  },
  {
    key: 'queue_turn',
    variables: ['customer_name', 'match_name', 'purchase_url', 'window_minutes'],
    hr: {
      name: 'Vaš red za kupnju',
      subject: 'Na redu ste: kupite ulaznice za {{match_name}}',
      html: `<h1>Na redu ste!</h1>
<p>Poštovani/a {{customer_name}},</p>
<p>Došao je vaš red za kupnju ulaznica za utakmicu <strong>{{match_name}}</strong>. Imate {{window_minutes}} minuta da dovršite kupnju, inače mjesto prelazi sljedećem navijaču.</p>
${button('{{purchase_url}}', 'Kupi ulaznice')}`,
      text: `Na redu ste!

Poštovani/a {{customer_name}},
došao je vaš red za kupnju ulaznica za utakmicu {{match_name}}. Imate {{window_minutes}} minuta da dovršite kupnju, inače mjesto prelazi sljedećem navijaču.

Kupi ulaznice: {{purchase_url}}`,
    },
    en: {
      name: 'Your turn in the queue',
      subject: "It's your turn: buy tickets for {{match_name}}",
      html: `<h1>It's your turn!</h1>
<p>Dear {{customer_name}},</p>
<p>It is your turn to buy tickets for <strong>{{match_name}}</strong>. You have {{window_minutes}} minutes to complete the purchase before your place passes to the next fan.</p>
${button('{{purchase_url}}', 'Buy tickets')}`,
      text: `It's your turn!

Dear {{customer_name}},
it is your turn to buy tickets for {{match_name}}. You have {{window_minutes}} minutes to complete the purchase before your place passes to the next fan.

Buy tickets: {{purchase_url}}`,
    },
  },
  {
    key: 'purchase_window_expired',
    variables: ['customer_name', 'match_name'],
    hr: {
      name: 'Isteklo vrijeme za kupnju',
      subject: 'Isteklo je vrijeme za kupnju – {{match_name}}',
      html: `<h1>Vrijeme za kupnju je isteklo</h1>
<p>Poštovani/a {{customer_name}},</p>
<p>Niste dovršili kupnju ulaznica za utakmicu <strong>{{match_name}}</strong> u predviđenom vremenu pa su rezervirana mjesta oslobođena. Ako još ima slobodnih ulaznica, možete se ponovno uključiti u red.</p>`,
      text: `Vrijeme za kupnju je isteklo

Poštovani/a {{customer_name}},
niste dovršili kupnju ulaznica za utakmicu {{match_name}} u predviđenom vremenu pa su rezervirana mjesta oslobođena. Ako još ima slobodnih ulaznica, možete se ponovno uključiti u red.`,
    },
    en: {
      name: 'Purchase window expired',
      subject: 'Your purchase window has expired – {{match_name}}',
      html: `<h1>Your purchase window has expired</h1>
<p>Dear {{customer_name}},</p>
<p>You did not complete your purchase for <strong>{{match_name}}</strong> in time, so the reserved seats have been released. If tickets are still available you can join the queue again.</p>`,
      text: `Your purchase window has expired

Dear {{customer_name}},
you did not complete your purchase for {{match_name}} in time, so the reserved seats have been released. If tickets are still available you can join the queue again.`,
    },
  },
  {
    key: 'match_update',
    variables: ['customer_name', 'match_name', 'change_summary', 'kickoff', 'venue', 'match_url'],
    hr: {
      name: 'Promjena utakmice',
      subject: 'Promjena: {{match_name}}',
      html: `<h1>Promjena podataka o utakmici</h1>
<p>Poštovani/a {{customer_name}},</p>
<p>Za utakmicu <strong>{{match_name}}</strong> za koju imate ulaznice došlo je do promjene: {{change_summary}}</p>
<p>Početak: {{kickoff}}<br>Stadion: {{venue}}</p>
<p>Vaše ulaznice ostaju važeće.</p>
${button('{{match_url}}', 'Detalji utakmice')}`,
      text: `Promjena podataka o utakmici

Poštovani/a {{customer_name}},
za utakmicu {{match_name}} za koju imate ulaznice došlo je do promjene: {{change_summary}}

Početak: {{kickoff}}
Stadion: {{venue}}

Vaše ulaznice ostaju važeće.
Detalji: {{match_url}}`,
    },
    en: {
      name: 'Match update',
      subject: 'Update: {{match_name}}',
      html: `<h1>Match details have changed</h1>
<p>Dear {{customer_name}},</p>
<p>A match you hold tickets for, <strong>{{match_name}}</strong>, has changed: {{change_summary}}</p>
<p>Kick-off: {{kickoff}}<br>Stadium: {{venue}}</p>
<p>Your tickets remain valid.</p>
${button('{{match_url}}', 'Match details')}`,
      text: `Match details have changed

Dear {{customer_name}},
a match you hold tickets for, {{match_name}}, has changed: {{change_summary}}

Kick-off: {{kickoff}}
Stadium: {{venue}}

Your tickets remain valid.
Details: {{match_url}}`,
    },
  },
  {
    key: 'match_cancellation',
    variables: ['customer_name', 'match_name', 'original_kickoff', 'refund_info'],
    hr: {
      name: 'Otkazivanje utakmice',
      subject: 'Utakmica je otkazana: {{match_name}}',
      html: `<h1>Utakmica je otkazana</h1>
<p>Poštovani/a {{customer_name}},</p>
<p>Žao nam je, utakmica <strong>{{match_name}}</strong> zakazana za {{original_kickoff}} je otkazana. Vaše ulaznice više nisu važeće.</p>
<p>{{refund_info}}</p>`,
      text: `Utakmica je otkazana

Poštovani/a {{customer_name}},
žao nam je, utakmica {{match_name}} zakazana za {{original_kickoff}} je otkazana. Vaše ulaznice više nisu važeće.

{{refund_info}}`,
    },
    en: {
      name: 'Match cancellation',
      subject: 'Match cancelled: {{match_name}}',
      html: `<h1>The match has been cancelled</h1>
<p>Dear {{customer_name}},</p>
<p>We are sorry: <strong>{{match_name}}</strong>, scheduled for {{original_kickoff}}, has been cancelled. Your tickets are no longer valid.</p>
<p>{{refund_info}}</p>`,
      text: `The match has been cancelled

Dear {{customer_name}},
we are sorry: {{match_name}}, scheduled for {{original_kickoff}}, has been cancelled. Your tickets are no longer valid.

{{refund_info}}`,
    },
  },
  {
    key: 'ticket_transfer_sent',
    variables: ['sender_name', 'recipient_name', 'match_name', 'ticket_count'],
    hr: {
      name: 'Ulaznice prenesene',
      subject: 'Prenijeli ste ulaznice za {{match_name}}',
      html: `<h1>Prijenos ulaznica je obavljen</h1>
<p>Poštovani/a {{sender_name}},</p>
<p>Prenijeli ste {{ticket_count}} ulaznica za utakmicu <strong>{{match_name}}</strong> korisniku {{recipient_name}}. Prenesene ulaznice više nisu vezane uz vaš račun.</p>
<p>Ako prijenos niste vi pokrenuli, odmah se javite korisničkoj podršci.</p>`,
      text: `Prijenos ulaznica je obavljen

Poštovani/a {{sender_name}},
prenijeli ste {{ticket_count}} ulaznica za utakmicu {{match_name}} korisniku {{recipient_name}}. Prenesene ulaznice više nisu vezane uz vaš račun.

Ako prijenos niste vi pokrenuli, odmah se javite korisničkoj podršci.`,
    },
    en: {
      name: 'Tickets transferred',
      subject: 'You transferred tickets for {{match_name}}',
      html: `<h1>Your ticket transfer is complete</h1>
<p>Dear {{sender_name}},</p>
<p>You transferred {{ticket_count}} tickets for <strong>{{match_name}}</strong> to {{recipient_name}}. The transferred tickets are no longer linked to your account.</p>
<p>If you did not make this transfer, contact customer support immediately.</p>`,
      text: `Your ticket transfer is complete

Dear {{sender_name}},
you transferred {{ticket_count}} tickets for {{match_name}} to {{recipient_name}}. The transferred tickets are no longer linked to your account.

If you did not make this transfer, contact customer support immediately.`,
    },
  },
  {
    key: 'ticket_transfer_received',
    variables: ['recipient_name', 'sender_name', 'match_name', 'ticket_count', 'tickets_url'],
    hr: {
      name: 'Primljene ulaznice',
      subject: '{{sender_name}} vam je prenio/la ulaznice za {{match_name}}',
      html: `<h1>Primili ste ulaznice</h1>
<p>Poštovani/a {{recipient_name}},</p>
<p><strong>{{sender_name}}</strong> vam je prenio/la {{ticket_count}} ulaznica za utakmicu <strong>{{match_name}}</strong>. Ulaznice su sada na vašem računu.</p>
${button('{{tickets_url}}', 'Moje ulaznice')}`,
      text: `Primili ste ulaznice

Poštovani/a {{recipient_name}},
{{sender_name}} vam je prenio/la {{ticket_count}} ulaznica za utakmicu {{match_name}}. Ulaznice su sada na vašem računu.

Moje ulaznice: {{tickets_url}}`,
    },
    en: {
      name: 'Tickets received',
      subject: '{{sender_name}} transferred tickets for {{match_name}} to you',
      html: `<h1>You have received tickets</h1>
<p>Dear {{recipient_name}},</p>
<p><strong>{{sender_name}}</strong> transferred {{ticket_count}} tickets for <strong>{{match_name}}</strong> to you. They are now in your account.</p>
${button('{{tickets_url}}', 'My tickets')}`,
      text: `You have received tickets

Dear {{recipient_name}},
{{sender_name}} transferred {{ticket_count}} tickets for {{match_name}} to you. They are now in your account.

My tickets: {{tickets_url}}`,
    },
  },
  {
    key: 'ticket_seat_changed',
    variables: ['customer_name', 'match_name', 'seat_changes', 'ticket_count', 'tickets_url'],
    hr: {
      name: 'Promjena sjedala',
      subject: 'Nova sjedala za {{match_name}}',
      html: `<h1>Vaša su sjedala promijenjena</h1>
<p>Poštovani/a {{customer_name}},</p>
<p>Zbog promjene na stadionu premjestili smo {{ticket_count}} ulaznica za utakmicu <strong>{{match_name}}</strong> u drugi sektor: {{seat_changes}}</p>
<p>Svaka premještena ulaznica ima novi barkod i QR kod; stari više ne vrijede. Preuzmite ulaznice ponovno.</p>
${button('{{tickets_url}}', 'Moje ulaznice')}`,
      text: `Vaša su sjedala promijenjena

Poštovani/a {{customer_name}},
zbog promjene na stadionu premjestili smo {{ticket_count}} ulaznica za utakmicu {{match_name}} u drugi sektor: {{seat_changes}}

Svaka premještena ulaznica ima novi barkod i QR kod; stari više ne vrijede. Preuzmite ulaznice ponovno.
Moje ulaznice: {{tickets_url}}`,
    },
    en: {
      name: 'Seats changed',
      subject: 'New seats for {{match_name}}',
      html: `<h1>Your seats have changed</h1>
<p>Dear {{customer_name}},</p>
<p>Because of a change at the stadium we moved {{ticket_count}} tickets for <strong>{{match_name}}</strong> to another sector: {{seat_changes}}</p>
<p>Every moved ticket has a new barcode and QR code; the old ones are no longer valid. Please download your tickets again.</p>
${button('{{tickets_url}}', 'My tickets')}`,
      text: `Your seats have changed

Dear {{customer_name}},
because of a change at the stadium we moved {{ticket_count}} tickets for {{match_name}} to another sector: {{seat_changes}}

Every moved ticket has a new barcode and QR code; the old ones are no longer valid. Please download your tickets again.
My tickets: {{tickets_url}}`,
    },
  },
  {
    // Away matches (E9-F6): the host federation's PDF ticket, for the holder to print or show.
    key: 'away_ticket_pdf',
    variables: ['holder_name', 'match_name', 'pdf_url'],
    hr: {
      name: 'Ulaznica domaćina za gostujuću utakmicu',
      subject: 'Vaša ulaznica za {{match_name}}',
      html: `<h1>Vaša ulaznica domaćina</h1>
<p>Poštovani/a {{holder_name}},</p>
<p>za utakmicu <strong>{{match_name}}</strong> ulaz je s PDF ulaznicom koju je izdao domaćin. Ulaznica je u privitku ove poruke; ponesite je na stadion (ispisanu ili na mobitelu). QR kod u aplikaciji HNS-a za ovu utakmicu ne vrijedi.</p>
${button('{{pdf_url}}', 'Preuzmi PDF ulaznicu')}`,
      text: `Vaša ulaznica domaćina

Poštovani/a {{holder_name}},
za utakmicu {{match_name}} ulaz je s PDF ulaznicom koju je izdao domaćin. Ulaznica je u privitku ove poruke; ponesite je na stadion (ispisanu ili na mobitelu). QR kod u aplikaciji HNS-a za ovu utakmicu ne vrijedi.

PDF ulaznica (i u aplikaciji): {{pdf_url}}`,
    },
    en: {
      name: 'Host ticket for an away match',
      subject: 'Your ticket for {{match_name}}',
      html: `<h1>Your host ticket</h1>
<p>Dear {{holder_name}},</p>
<p>for <strong>{{match_name}}</strong> entry is with the PDF ticket issued by the host federation. It is attached to this email; bring it to the stadium (printed or on your phone). The HNS app QR code is not valid for this match.</p>
${button('{{pdf_url}}', 'Download the PDF ticket')}`,
      text: `Your host ticket

Dear {{holder_name}},
for {{match_name}} entry is with the PDF ticket issued by the host federation. It is attached to this email; bring it to the stadium (printed or on your phone). The HNS app QR code is not valid for this match.

PDF ticket (also in the app): {{pdf_url}}`,
    },
  },
  {
    key: 'cancellation_refund_confirmation',
    variables: ['customer_name', 'order_number', 'match_name', 'refund_amount', 'refund_method'],
    hr: {
      name: 'Potvrda otkaza i povrata',
      subject: 'Povrat novca za narudžbu {{order_number}}',
      html: `<h1>Potvrda otkaza i povrata novca</h1>
<p>Poštovani/a {{customer_name}},</p>
<p>Narudžba <strong>{{order_number}}</strong> za utakmicu <strong>{{match_name}}</strong> je otkazana. Iznos od {{refund_amount}} vraćamo na: {{refund_method}}.</p>
<p>Ovisno o banci, povrat može potrajati do 10 radnih dana.</p>`,
      text: `Potvrda otkaza i povrata novca

Poštovani/a {{customer_name}},
narudžba {{order_number}} za utakmicu {{match_name}} je otkazana. Iznos od {{refund_amount}} vraćamo na: {{refund_method}}.

Ovisno o banci, povrat može potrajati do 10 radnih dana.`,
    },
    en: {
      name: 'Cancellation and refund confirmation',
      subject: 'Refund for order {{order_number}}',
      html: `<h1>Cancellation and refund confirmed</h1>
<p>Dear {{customer_name}},</p>
<p>Order <strong>{{order_number}}</strong> for <strong>{{match_name}}</strong> has been cancelled. {{refund_amount}} is being refunded to: {{refund_method}}.</p>
<p>Depending on your bank, the refund can take up to 10 business days.</p>`,
      text: `Cancellation and refund confirmed

Dear {{customer_name}},
order {{order_number}} for {{match_name}} has been cancelled. {{refund_amount}} is being refunded to: {{refund_method}}.

Depending on your bank, the refund can take up to 10 business days.`,
    },
  },
  {
    // E11-F4: a ticket cancelled because its buyer or holder is on the police blacklist.
    key: 'tickets_cancelled_blacklist',
    variables: ['recipient_name', 'match_name', 'order_number', 'ticket_count'],
    hr: {
      name: 'Ulaznice poništene (MUP)',
      subject: 'Ulaznice za {{match_name}} su poništene',
      html: `<h1>Ulaznice su poništene</h1>
<p>Poštovani/a {{recipient_name}},</p>
<p>{{ticket_count}} ulaznica za utakmicu <strong>{{match_name}}</strong> (narudžba {{order_number}}) je poništeno jer je kupac ili nositelj ulaznice na popisu osoba kojima je zabranjen pristup sportskim natjecanjima. Ulaznice više ne vrijede za ulaz; novac se ne vraća. Za više informacija obratite se Ministarstvu unutarnjih poslova (MUP): tel. 192, www.mup.gov.hr.</p>`,
      text: `Ulaznice su poništene

Poštovani/a {{recipient_name}},
{{ticket_count}} ulaznica za utakmicu {{match_name}} (narudžba {{order_number}}) je poništeno jer je kupac ili nositelj ulaznice na popisu osoba kojima je zabranjen pristup sportskim natjecanjima. Ulaznice više ne vrijede za ulaz; novac se ne vraća. Za više informacija obratite se MUP-u: tel. 192, www.mup.gov.hr.`,
    },
    en: {
      name: 'Tickets cancelled (police ban)',
      subject: 'Your tickets for {{match_name}} were cancelled',
      html: `<h1>Your tickets were cancelled</h1>
<p>Dear {{recipient_name}},</p>
<p>{{ticket_count}} ticket(s) for <strong>{{match_name}}</strong> (order {{order_number}}) were cancelled because their buyer or holder is banned from football grounds. They no longer admit anyone; no refund is made. For more information please contact the Ministry of the Interior (MUP): phone 192, www.mup.gov.hr.</p>`,
      text: `Your tickets were cancelled

Dear {{recipient_name}},
{{ticket_count}} ticket(s) for {{match_name}} (order {{order_number}}) were cancelled because their buyer or holder is banned from football grounds. They no longer admit anyone; no refund is made. For more information please contact the Ministry of the Interior (MUP): phone 192, www.mup.gov.hr.`,
    },
  },
  {
    key: 'ticket_cancelled_holder',
    variables: ['holder_name', 'match_name', 'order_number', 'buyer_name'],
    hr: {
      name: 'Ulaznica otkazana',
      subject: 'Vaša ulaznica za {{match_name}} je otkazana',
      html: `<h1>Ulaznica je otkazana</h1>
<p>Poštovani/a {{holder_name}},</p>
<p>Ulaznica na Vaše ime za utakmicu <strong>{{match_name}}</strong> (narudžba {{order_number}}, kupac {{buyer_name}}) je otkazana i više ne vrijedi za ulaz. Novac se vraća kupcu.</p>`,
      text: `Ulaznica je otkazana

Poštovani/a {{holder_name}},
ulaznica na Vaše ime za utakmicu {{match_name}} (narudžba {{order_number}}, kupac {{buyer_name}}) je otkazana i više ne vrijedi za ulaz. Novac se vraća kupcu.`,
    },
    en: {
      name: 'Ticket cancelled',
      subject: 'Your ticket for {{match_name}} was cancelled',
      html: `<h1>Your ticket was cancelled</h1>
<p>Dear {{holder_name}},</p>
<p>The ticket in your name for <strong>{{match_name}}</strong> (order {{order_number}}, bought by {{buyer_name}}) was cancelled and no longer admits anyone. The money goes back to the buyer.</p>`,
      text: `Your ticket was cancelled

Dear {{holder_name}},
the ticket in your name for {{match_name}} (order {{order_number}}, bought by {{buyer_name}}) was cancelled and no longer admits anyone. The money goes back to the buyer.`,
    },
  },
  {
    key: 'report_export_ready',
    variables: ['recipient_name', 'report_name', 'download_url', 'expires_at'],
    hr: {
      name: 'Izvještaj je spreman',
      subject: 'Izvještaj je spreman: {{report_name}}',
      html: `<h1>Vaš izvještaj je spreman</h1>
<p>Poštovani/a {{recipient_name}},</p>
<p>Izvoz izvještaja <strong>{{report_name}}</strong> je završen. Datoteku možete preuzeti do {{expires_at}}.</p>
${button('{{download_url}}', 'Preuzmi izvještaj')}`,
      text: `Vaš izvještaj je spreman

Poštovani/a {{recipient_name}},
izvoz izvještaja {{report_name}} je završen. Datoteku možete preuzeti do {{expires_at}}.

Preuzmi: {{download_url}}`,
    },
    en: {
      name: 'Report export ready',
      subject: 'Report ready: {{report_name}}',
      html: `<h1>Your report is ready</h1>
<p>Dear {{recipient_name}},</p>
<p>The export of <strong>{{report_name}}</strong> has finished. You can download the file until {{expires_at}}.</p>
${button('{{download_url}}', 'Download report')}`,
      text: `Your report is ready

Dear {{recipient_name}},
the export of {{report_name}} has finished. You can download the file until {{expires_at}}.

Download: {{download_url}}`,
    },
  },
  {
    key: 'payment_offers_overdue',
    variables: ['offers_count', 'offers_total', 'offers_list', 'offers_url'],
    hr: {
      name: 'Dospjele ponude (financije)',
      subject: 'Dospjele neplaćene ponude: {{offers_count}}',
      html: `<h1>Dospjele neplaćene ponude</h1>
<p>Rok plaćanja prošao je za {{offers_count}} ponuda/e, ukupno {{offers_total}}:</p>
<p style="white-space:pre-line;font-family:monospace">{{offers_list}}</p>
${button('{{offers_url}}', 'Otvori dospjele ponude')}`,
      text: `Dospjele neplaćene ponude

Rok plaćanja prošao je za {{offers_count}} ponuda/e, ukupno {{offers_total}}:
{{offers_list}}

Dospjele ponude: {{offers_url}}`,
    },
    en: {
      name: 'Overdue payment offers (finance)',
      subject: 'Overdue unpaid payment offers: {{offers_count}}',
      html: `<h1>Overdue unpaid payment offers</h1>
<p>{{offers_count}} payment offer(s) passed their due date, {{offers_total}} in all:</p>
<p style="white-space:pre-line;font-family:monospace">{{offers_list}}</p>
${button('{{offers_url}}', 'Open the overdue offers')}`,
      text: `Overdue unpaid payment offers

{{offers_count}} payment offer(s) passed their due date, {{offers_total}} in all:
{{offers_list}}

Overdue offers: {{offers_url}}`,
    },
  },
];

/** Seed rows: one per (template_key, locale), bodies wrapped in the common layout. */
export function templateRows() {
  return TEMPLATE_DEFINITIONS.flatMap((def) =>
    (['hr', 'en'] as const).map((locale) => ({
      template_key: def.key,
      locale,
      name: def[locale].name,
      subject: def[locale].subject,
      body_html: layout(locale, def[locale].html),
      body_text: text(locale, def[locale].text),
      variables: def.variables,
    })),
  );
}

/** Idempotent: inserts missing templates, never overwrites an existing (possibly edited) one. */
export const emailTemplatesSeed: Seed = {
  name: 'notifications.email-templates',
  async run({ db }) {
    for (const row of templateRows()) await upsertSeedTemplate(db, row);
  },
};
