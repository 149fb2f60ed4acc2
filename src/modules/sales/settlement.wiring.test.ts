import { describe, expect, it } from 'vitest';

/**
 * The payment jobs reach settlement only through payments' port (payments/payment-events.ts).
 * A worker loads the jobs from the module registry alone, so loading the registry must
 * register settlement's handlers; this file loads nothing else first.
 */
describe('settlement wiring', () => {
  it('registers the payment-event handlers when the module registry is loaded', async () => {
    const events = await import('../payments/payment-events.ts');
    expect(() => events.paymentEventHandlers()).toThrow(/no handlers registered/);
    await import('../index.ts');
    expect(events.paymentEventHandlers().refunded).toBeTypeOf('function');
  });
});
