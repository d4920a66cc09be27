import { Module } from '@nestjs/common';
import { ShipmentHandlers } from './shipment-handlers.js';
import { ShipmentsRepository } from './shipments.repository.js';
import { StockService } from './stock.service.js';

/** Shipping: the handlers sit among the module's other providers; nothing registers them with Idem. */
@Module({
  providers: [ShipmentsRepository, StockService, ShipmentHandlers],
  exports: [ShipmentsRepository],
})
export class ShipmentsModule {}
