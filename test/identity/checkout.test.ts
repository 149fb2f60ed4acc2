import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  getDefaultProfileForCheckout,
  getSavedProfileForCheckout,
} from '../../src/modules/identity/profiles.checkout.ts';
import { insertProfile, insertSavedProfile } from '../../src/modules/identity/profiles.repo.ts';
import { getPiiCipher } from '../../src/platform/crypto.ts';
import { createUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';

const t = useTestContext();

describe('profiles for the purchase flow', () => {
  it('returns the default and saved profiles with OIB and passport decrypted, only to their owner', async () => {
    const buyer = await createUser(t.deps);
    const other = await createUser(t.deps);
    const pii = getPiiCipher(t.config);
    await insertProfile(t.deps.db, buyer.id, {
      full_name: 'Ivan Horvat',
      date_of_birth: '1990-05-01',
      nationality: 'HR',
      oib_encrypted: pii.encrypt('69435151530'),
      oib_blind_index: pii.blindIndex('69435151530'),
      passport_encrypted: null,
      email: buyer.email,
      phone: '+385911234567',
    });
    const saved = await insertSavedProfile(t.deps.db, buyer.id, {
      full_name: 'John Smith',
      date_of_birth: '2012-02-29',
      nationality: 'GB',
      oib_encrypted: null,
      oib_blind_index: null,
      passport_encrypted: pii.encrypt('GB1234567'),
      email: null,
      phone: null,
      relationship: 'son',
    });

    const own = await getDefaultProfileForCheckout(t.deps, t.deps.db, buyer.id);
    expect(own).toEqual({
      id: expect.any(String),
      full_name: 'Ivan Horvat',
      date_of_birth: '1990-05-01',
      nationality: 'HR',
      oib: '69435151530',
      passport_number: null,
      email: buyer.email,
      phone: '+385911234567',
    });
    expect(await getSavedProfileForCheckout(t.deps, t.deps.db, buyer.id, saved.id)).toEqual({
      id: saved.id,
      full_name: 'John Smith',
      date_of_birth: '2012-02-29',
      nationality: 'GB',
      oib: null,
      passport_number: 'GB1234567',
      email: null,
      phone: null,
    });

    expect(await getDefaultProfileForCheckout(t.deps, t.deps.db, other.id)).toBeNull();
    expect(await getSavedProfileForCheckout(t.deps, t.deps.db, other.id, saved.id)).toBeNull();
    expect(await getSavedProfileForCheckout(t.deps, t.deps.db, buyer.id, randomUUID())).toBeNull();
    expect(await getSavedProfileForCheckout(t.deps, t.deps.db, buyer.id, 'not-a-uuid')).toBeNull();
  });

  it('the user factory gives a working token with the requested roles', async () => {
    const admin = await createUser(t.deps, { email: 'Boss@Example.test', roles: ['SUPER_ADMIN'] });
    expect(admin.email).toBe('boss@example.test');
    const claims = await t.deps.tokens.verify(admin.token);
    expect(claims).toMatchObject({ userId: admin.id, roles: ['FAN', 'SUPER_ADMIN'] });
  });
});
