import { z } from 'zod';

export const googleSaveLink = z.object({
  save_url: z.string().describe('https://pay.google.com/gp/v/save/<JWT signed by the issuer>'),
  class_id: z.string(),
  object_id: z.string(),
});
