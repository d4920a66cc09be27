/** Property that carries the message keys (the SDK's `messageKey()`, read back as `MessageKey`). */
export const KEYS_PROPERTY = 'KEYS';
/** Property that carries the ordered partition (the SDK's `shardingKey()`). */
export const SHARDING_KEY_PROPERTY = '__SHARDINGKEY';
/** Property that carries the absolute delivery time in ms (the SDK's `startDeliverTime()`). */
export const START_DELIVER_TIME_PROPERTY = '__STARTDELIVERTIME';

/**
 * Reads the wire form of message properties, `k:v|k2:v2`, in order. Empty items and items
 * without a key are skipped; a value keeps any further `:` (the SDK drops such a pair when it
 * reads it back, the peer stores what was sent).
 */
export function parseMessageProperties(raw: string): Map<string, string> {
  const properties = new Map<string, string>();
  for (const item of raw.split('|')) {
    const colon = item.indexOf(':');
    if (colon <= 0) continue;
    properties.set(item.slice(0, colon), item.slice(colon + 1));
  }
  return properties;
}

/** Writes properties in their wire form, `k:v|k2:v2`; the empty string when there are none. */
export function formatMessageProperties(properties: ReadonlyMap<string, string>): string {
  return [...properties].map(([key, value]) => `${key}:${value}`).join('|');
}
