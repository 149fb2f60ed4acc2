// Draws the HNS wallet pass images (src/modules/wallet/branding.ts) into
// src/modules/wallet/assets/. Run after changing the drawing; a test checks they match.
import { mkdirSync, writeFileSync } from 'node:fs';
import { ASSETS_DIR, PASS_ASSETS } from '../src/modules/wallet/branding.ts';

mkdirSync(ASSETS_DIR, { recursive: true });
for (const [name, draw] of Object.entries(PASS_ASSETS)) {
  writeFileSync(new URL(name, ASSETS_DIR), draw());
  console.log(`wrote ${name}`);
}
