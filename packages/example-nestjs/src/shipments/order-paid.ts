import { z } from 'zod';

/** What the order service publishes when an order is paid (topic `orders`, tag `paid`, key = order id). */
export const OrderPaid = z.object({
  orderId: z.string().min(1),
  address: z.string().min(1),
  lines: z.array(z.object({ sku: z.string().min(1), quantity: z.number().int().positive() })).min(1),
});
export type OrderPaid = z.infer<typeof OrderPaid>;
