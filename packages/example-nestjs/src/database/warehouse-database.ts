import type { Generated } from 'kysely';

/** The warehouse's own tables, as kysely sees them. */
export interface WarehouseDatabase {
  shipments: {
    order_id: string;
    address: string;
    items: number;
    created_at: Generated<Date>;
  };
  /** Units reserved per SKU: an increment, so a duplicate delivery would double-count it. */
  stock_reservations: {
    sku: string;
    reserved: number;
  };
}

/** The injection token of the application's `Kysely<WarehouseDatabase>`. */
export const WAREHOUSE_DATABASE: unique symbol = Symbol('WAREHOUSE_DATABASE');
