import type { DocCodeBlock } from './docs-code-blocks.js';

/** A docs example that hands a handler class to a consumer of another group than the class declares. */
export interface DocConsumerGroupConflict {
  /** `docs/rocketmq-http.md:18`: the block that builds the consumer. */
  readonly location: string;
  readonly handlerClass: string;
  /** The group the class declares with `@Consumer({ group })`, and where. */
  readonly declared: string;
  readonly declaredAt: string;
  /** The `consumerGroup` option the block passes. */
  readonly consumerGroup: string;
}

const DECLARED = /@Consumer\(\{\s*group:\s*'([^']+)'\s*\}\)[\s\S]*?\bclass\s+(\w+)/g;
const OPTION = /\bconsumerGroup:\s*'([^']+)'/g;
const INSTANCE = /\bnew\s+(\w+)\s*\(/g;

/**
 * Readers copy a handler class from one page and a consumer from another, so a class name means
 * one class across all the docs: a block that passes `consumerGroup: 'B'` with `new X()` conflicts
 * (`CONSUMER_GROUP_CONFLICT` at start) when any page declares `@Consumer({ group: 'A' }) class X`.
 */
export function findConsumerGroupConflicts(blocks: readonly DocCodeBlock[]): DocConsumerGroupConflict[] {
  const declared = new Map<string, { group: string; at: string }[]>();
  for (const block of blocks) {
    for (const [, group = '', name = ''] of block.code.matchAll(DECLARED)) {
      const list = declared.get(name) ?? [];
      list.push({ group, at: `${block.file}:${block.line}` });
      declared.set(name, list);
    }
  }
  const conflicts: DocConsumerGroupConflict[] = [];
  for (const block of blocks) {
    const options = [...block.code.matchAll(OPTION)].map((match) => match[1] ?? '');
    const classes = new Set([...block.code.matchAll(INSTANCE)].map((match) => match[1] ?? ''));
    for (const consumerGroup of options) {
      for (const handlerClass of classes) {
        for (const declaration of declared.get(handlerClass) ?? []) {
          if (declaration.group === consumerGroup) continue;
          conflicts.push({
            location: `${block.file}:${block.line}`,
            handlerClass,
            declared: declaration.group,
            declaredAt: declaration.at,
            consumerGroup,
          });
        }
      }
    }
  }
  return conflicts;
}
