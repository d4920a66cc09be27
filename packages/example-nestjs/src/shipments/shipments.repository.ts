import { Inject, Injectable } from '@nestjs/common';
import type { Kysely, Transaction } from 'kysely';
import { WAREHOUSE_DATABASE, type WarehouseDatabase } from '../database/warehouse-database.js';

/** One shipment per paid order. */
export interface NewShipment {
  readonly orderId: string;
  readonly address: string;
  readonly items: number;
}

/**
 * Shipments. Writes take the transaction as an argument (the explicit pattern): a handler passes
 * `ctx.trx`, so the write commits with the message's idempotency key. Reads use the pool.
 */
@Injectable()
export class ShipmentsRepository {
  constructor(@Inject(WAREHOUSE_DATABASE) private readonly db: Kysely<WarehouseDatabase>) {}

  async create(trx: Transaction<WarehouseDatabase>, shipment: NewShipment): Promise<void> {
    await trx
      .insertInto('shipments')
      .values({ order_id: shipment.orderId, address: shipment.address, items: shipment.items })
      .execute();
  }

  async findAll(): Promise<{ orderId: string; items: number }[]> {
    const rows = await this.db
      .selectFrom('shipments')
      .select(['order_id', 'items'])
      .orderBy('order_id')
      .execute();
    return rows.map((row) => ({ orderId: row.order_id, items: row.items }));
  }
}
