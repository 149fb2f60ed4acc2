import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createTtlMemo, memoOf } from './memo.ts';

describe('createTtlMemo', () => {
  it('loads a key once for concurrent callers and reuses it until the TTL passes', async () => {
    const memo = createTtlMemo<number>(80);
    let loads = 0;
    const load = async () => {
      loads += 1;
      await sleep(10);
      return loads;
    };
    const first = await Promise.all(Array.from({ length: 50 }, () => memo.get('m', load)));
    expect(new Set(first)).toEqual(new Set([1]));
    expect(await memo.get('m', load)).toBe(1);
    expect(await memo.get('other', load)).toBe(2);
    await sleep(100);
    expect(await memo.get('m', load)).toBe(3);
    expect(loads).toBe(3);
  });

  it('does not remember a failed load', async () => {
    const memo = createTtlMemo<string>(60_000);
    await expect(memo.get('k', () => Promise.reject(new Error('db down')))).rejects.toThrow();
    expect(await memo.get('k', async () => 'fresh')).toBe('fresh');
  });

  it('loads every time with a TTL of 0', async () => {
    const memo = createTtlMemo<number>(0);
    let loads = 0;
    await memo.get('k', async () => ++loads);
    await memo.get('k', async () => ++loads);
    expect(loads).toBe(2);
  });

  it('keeps one memo per owner and name', () => {
    const a = {};
    const b = {};
    expect(memoOf(a, 'x', 1)).toBe(memoOf(a, 'x', 1));
    expect(memoOf(a, 'x', 1)).not.toBe(memoOf(a, 'y', 1));
    expect(memoOf(a, 'x', 1)).not.toBe(memoOf(b, 'x', 1));
  });
});
