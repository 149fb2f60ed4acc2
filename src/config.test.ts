import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('gives a working development configuration with no variables at all', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.JWT_SECRETS.length).toBe(1);
    // match day (E2-F8, E2-F9): about 1,000 extra codes per export, uploads up to 10 MB
    expect(config.ACCESS_CONTROL_EXTRA_CODES).toBe(1000);
    expect(config.ATTENDANCE_FILE_MAX_BYTES).toBe(10_485_760);
    expect(loadConfig({ ACCESS_CONTROL_EXTRA_CODES: '1500' }).ACCESS_CONTROL_EXTRA_CODES).toBe(
      1500,
    );
    expect(() => loadConfig({ ACCESS_CONTROL_EXTRA_CODES: '-1' })).toThrow(ConfigError);
  });

  it('names every bad variable and what is wrong with it', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'abc', DATABASE_POOL_MAX: '-1', LOG_LEVEL: 'loud' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues.join('\n');
    expect(issues).toMatch(/^PORT: .*"abc"/m);
    expect(issues).toMatch(/^DATABASE_POOL_MAX: /m);
    expect(issues).toMatch(/^LOG_LEVEL: /m);
  });

  it('refuses development secrets and the embedded database in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /JWT_SECRETS.*\n.*DATABASE_URL|DATABASE_URL[\s\S]*JWT_SECRETS|JWT_SECRETS[\s\S]*DATABASE_URL/,
    );
  });

  it('never echoes a secret value in the message', () => {
    expect(() => loadConfig({ JWT_SECRETS: 'short' })).toThrow(
      /JWT_SECRETS: each secret must be at least 32 characters$/m,
    );
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ PORT: '' }).PORT).toBe(3000);
  });
});
