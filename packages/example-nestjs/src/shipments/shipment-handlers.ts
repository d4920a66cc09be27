import { Consumer, type HandlerContext, Subscribe } from '@idem/core';
import { Inject, Injectable } from '@nestjs/common';
import type { WarehouseDatabase } from '../database/warehouse-database.js';
import { OrderPaid } from './order-paid.js';
import { ShipmentsRepository } from './shipments.repository.js';
import { StockService } from './stock.service.js';

/**
 * A paid order becomes one shipment and its stock reservations, exactly once however often
 * RocketMQ delivers the event. An ordinary Nest provider: IdemModule finds it by `@Consumer`.
 */
@Consumer({ group: 'warehouse' })
@Injectable()
export class ShipmentHandlers {
  // Explicit @Inject: the test runner's and tsx's transforms emit no decorator metadata.
  constructor(
    @Inject(ShipmentsRepository) private readonly shipments: ShipmentsRepository,
    @Inject(StockService) private readonly stock: StockService,
  ) {}

  @Subscribe({ topic: 'orders', tag: 'paid', schema: OrderPaid })
  async onOrderPaid(order: OrderPaid, ctx: HandlerContext<WarehouseDatabase>): Promise<void> {
    const items = order.lines.reduce((sum, line) => sum + line.quantity, 0);
    await this.shipments.create(ctx.trx, { orderId: order.orderId, address: order.address, items });
    for (const line of order.lines) await this.stock.reserve(line.sku, line.quantity);
  }
}
