import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const issuesOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
};

const key = (byte: number) => Buffer.alloc(32, byte).toString('base64');

describe('identity configuration', () => {
  it('parses DRUPAL_ROLE_MAP and refuses unknown roles', () => {
    expect(
      loadConfig({ DRUPAL_ROLE_MAP: 'ticketing_admin:SUPER_ADMIN, accountant:FINANCE' })
        .DRUPAL_ROLE_MAP,
    ).toEqual({ ticketing_admin: 'SUPER_ADMIN', accountant: 'FINANCE' });
    expect(issuesOf({ DRUPAL_ROLE_MAP: 'admin:KING' }).join('\n')).toMatch(/^DRUPAL_ROLE_MAP: /m);
  });

  it('validates PII keys without echoing them', () => {
    const issues = issuesOf({ PII_KEYS: 'k1:c2hvcnQ=', PII_BLIND_INDEX_KEY: 'c2hvcnQ=' }).join(
      '\n',
    );
    expect(issues).toMatch(/^PII_KEYS: must be/m);
    expect(issues).toMatch(/^PII_BLIND_INDEX_KEY: /m);
    expect(issues).not.toContain('c2hvcnQ=');
    expect(loadConfig({ PII_KEYS: `k2:${key(2)},k1:${key(1)}` }).PII_KEYS).toContain('k2:');
  });

  it('requires real PII keys and a Drupal SSO in production', () => {
    const issues = issuesOf({ NODE_ENV: 'production' }).join('\n');
    expect(issues).toMatch(/^PII_KEYS: must be set to real keys in production/m);
    expect(issues).toMatch(/^DRUPAL_USERINFO_URL: Drupal SSO is required in production/m);

    const configured = issuesOf({
      NODE_ENV: 'production',
      PII_KEYS: `p1:${key(3)}`,
      PII_BLIND_INDEX_KEY: key(4),
      DRUPAL_JWKS_URL: 'https://www.hns.hr/oauth/jwks',
      DRUPAL_ISSUER: 'https://www.hns.hr',
      DRUPAL_AUDIENCE: 'hns-ticketing',
    }).join('\n');
    expect(configured).not.toMatch(/PII_|DRUPAL_/);
  });
});
