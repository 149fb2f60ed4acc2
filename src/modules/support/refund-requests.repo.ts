import type { Insertable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { SupportRefundRequests } from '../../platform/db/types.generated.ts';

/** SQL of the support refund requests (E10-F3): the order's buyer, the request rows. */

export interface OrderBuyer {
  order_id: string;
  kick_off_time: Date;
  buyer_email: string;
  buyer_name: string | null;
  buyer_profile_email: string | null;
  buyer_phone: string | null;
}

export async function findOrderBuyer(
  db: Executor,
  orderId: string,
): Promise<OrderBuyer | undefined> {
  return db
    .selectFrom('orders as o')
    .innerJoin('matches as m', 'm.id', 'o.match_id')
    .innerJoin('users as u', 'u.id', 'o.user_id')
    .leftJoin('profiles as p', 'p.user_id', 'o.user_id')
    .select([
      'o.id as order_id',
      'm.kick_off_time',
      'u.email as buyer_email',
      'p.full_name as buyer_name',
      'p.email as buyer_profile_email',
      'p.phone as buyer_phone',
    ])
    .where('o.id', '=', orderId)
    .executeTakeFirst();
}

export async function insertRefundRequest(
  db: Executor,
  row: Insertable<SupportRefundRequests>,
): Promise<{ id: string; created_at: Date }> {
  return db
    .insertInto('support_refund_requests')
    .values(row)
    .returning(['id', 'created_at'])
    .executeTakeFirstOrThrow();
}

export async function findRefundRequest(db: Executor, id: string) {
  return db
    .selectFrom('support_refund_requests')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
}
