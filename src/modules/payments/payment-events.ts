import type { Executor } from '../../platform/db/database.ts';

/**
 * What payments reports to the owner of order state. Dependencies go one way (sales →
 * payments: payments never imports sales), so an order change that follows a payment
 * change made here reaches sales through this port: settlement
 * (sales/settlement.service.ts) registers its handlers when it is loaded, which every
 * process that runs the payment jobs or serves the webhook does (src/modules/index.ts,
 * src/api/webhooks.ts).
 */
export interface PaymentEventHandlers {
  /**
   * The refund of this payment went through at Stripe; called inside the transaction that
   * records it on the payment, so the order's change commits with it.
   */
  refunded(trx: Executor, payment: { id: string; order_id: string }): Promise<void>;
}

let registered: PaymentEventHandlers | undefined;

export function registerPaymentEventHandlers(handlers: PaymentEventHandlers): void {
  registered = handlers;
}

/** The registered handlers; none is a wiring bug, so the job fails (and is retried). */
export function paymentEventHandlers(): PaymentEventHandlers {
  if (!registered) {
    throw new Error('payment events: no handlers registered (load sales/settlement.service.ts)');
  }
  return registered;
}
