import { z } from 'zod';

/** Request and response schemas of the notifications module (they feed OpenAPI). */

const id = z.uuid();
const instant = z.iso.datetime({ offset: true });

// Email templates (admin) ------------------------------------------------------------------

export const emailTemplateOut = z.object({
  id,
  template_key: z.string(),
  locale: z.enum(['hr', 'en']),
  name: z.string(),
  subject: z.string(),
  body_html: z.string(),
  body_text: z.string(),
  variables: z
    .array(z.string())
    .describe('Declared variables: callers must supply each; the texts may use only these'),
  is_active: z.boolean(),
  created_at: instant,
  updated_at: instant,
});
export type EmailTemplateOut = z.infer<typeof emailTemplateOut>;

export const emailTemplateListQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  template_key: z.string().min(1).max(100).optional(),
  locale: z.enum(['hr', 'en']).optional(),
});

export const emailTemplateList = z.object({
  items: z.array(emailTemplateOut),
  page: z.number().int(),
  limit: z.number().int(),
  total: z.number().int(),
});

export const emailTemplateParams = z.object({ id });

export const emailTemplateUpdate = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    subject: z.string().min(1).max(300).optional(),
    body_html: z.string().min(1).max(200_000).optional(),
    body_text: z.string().min(1).max(100_000).optional(),
    is_active: z.boolean().optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'nothing to update' })
  .describe(
    'Texts may use only the declared variables as {{ name }}. The declared list itself is ' +
      'the contract with the code that sends the email and is not editable here.',
  );

// Push tokens (fan) ------------------------------------------------------------------------

export const pushTokenIn = z.object({
  device_id: z.string().trim().min(1).max(200),
  fcm_token: z.string().trim().min(1).max(4096),
  platform: z.enum(['IOS', 'ANDROID']),
});

export const pushTokenOut = z.object({
  id,
  device_id: z.string(),
  platform: z.enum(['IOS', 'ANDROID']),
  is_active: z.boolean(),
  created_at: instant,
  last_used_at: instant.nullable(),
});

export const deviceParams = z.object({ device_id: z.string().min(1).max(200) });

// Mailgun webhook --------------------------------------------------------------------------

export const mailgunWebhookBody = z
  .object({
    signature: z.object({
      timestamp: z.union([z.string(), z.number()]).transform(String),
      token: z.string().min(1),
      signature: z.string().min(1),
    }),
    'event-data': z
      .object({
        event: z.string(),
        severity: z.string().optional(),
        reason: z.string().optional(),
        'delivery-status': z
          .object({
            message: z.string().optional(),
            description: z.string().optional(),
            code: z.union([z.number(), z.string()]).optional(),
          })
          .loose()
          .optional(),
        message: z
          .object({ headers: z.object({ 'message-id': z.string().optional() }).loose() })
          .loose()
          .optional(),
      })
      .loose(),
  })
  .loose();
export type MailgunWebhookBody = z.infer<typeof mailgunWebhookBody>;

export const mailgunWebhookResult = z.object({
  status: z.literal('ok'),
  matched: z.boolean().describe('A log row with this Message-ID exists'),
  updated: z.boolean().describe('The event changed the log status'),
});
