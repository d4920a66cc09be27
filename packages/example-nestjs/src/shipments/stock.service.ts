import { IdemTransaction } from '@idem/nestjs';
import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import type { WarehouseDatabase } from '../database/warehouse-database.js';

/**
 * Stock reservations. Writes through the injected `IdemTransaction` (the implicit pattern): no
 * transaction argument, yet the increment commits with the message's idempotency key, so a
 * redelivered order reserves nothing twice. Called outside a handler it throws instead of
 * writing outside a transaction.
 */
@Injectable()
export class StockService {
  constructor(@Inject(IdemTransaction) private readonly transaction: IdemTransaction) {}

  async reserve(sku: string, quantity: number): Promise<void> {
    await this.transaction
      .trx<WarehouseDatabase>()
      .insertInto('stock_reservations')
      .values({ sku, reserved: quantity })
      .onConflict((oc) =>
        oc.column('sku').doUpdateSet({ reserved: sql`stock_reservations.reserved + ${quantity}` }),
      )
      .execute();
  }
}
