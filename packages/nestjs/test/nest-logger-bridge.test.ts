import type { LoggerService } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { nestLoggerBridge } from '../src/index.js';

function recordingLogger(): { logger: LoggerService; lines: string[] } {
  const lines: string[] = [];
  const record =
    (level: string) =>
    (message: unknown): void => {
      lines.push(`${level} ${String(message)}`);
    };
  return {
    lines,
    logger: { log: record('log'), warn: record('warn'), error: record('error'), debug: record('debug') },
  };
}

describe('nestLoggerBridge', () => {
  it("writes Idem's lines at Nest's levels with the fields as JSON", () => {
    const { logger, lines } = recordingLogger();
    const bridge = nestLoggerBridge({ logger });
    bridge.info({ consumerGroup: 'billing' }, 'consumer started');
    bridge.warn({}, 'database unreachable');
    bridge.error({ error: 'boom' }, 'closing failed');
    expect(lines).toEqual([
      'log consumer started {"consumerGroup":"billing"}',
      'warn database unreachable',
      'error closing failed {"error":"boom"}',
    ]);
  });

  it('writes an error field with its message, code, stack and cause, not as {}', () => {
    const { logger, lines } = recordingLogger();
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:8081');
    const error = Object.assign(new Error('broker unreachable', { cause }), { code: 'BROKER_UNAVAILABLE' });
    nestLoggerBridge({ logger }).warn({ err: error }, 'the broker is unreachable');
    const [line] = lines;
    const json = JSON.parse(line?.slice(line.indexOf('{')) ?? '{}') as { err: Record<string, unknown> };
    expect(json.err).toMatchObject({
      type: 'Error',
      message: 'broker unreachable',
      code: 'BROKER_UNAVAILABLE',
      stack: expect.stringContaining('nest-logger-bridge.test.ts'),
      cause: { message: 'connect ECONNREFUSED 127.0.0.1:8081' },
    });
  });

  it('drops the per-message debug lines unless asked for them', () => {
    const quiet = recordingLogger();
    nestLoggerBridge({ logger: quiet.logger }).debug({ key: 'k' }, 'processed');
    expect(quiet.lines).toEqual([]);
    const verbose = recordingLogger();
    nestLoggerBridge({ logger: verbose.logger, debug: true }).debug({ key: 'k' }, 'processed');
    expect(verbose.lines).toEqual(['debug processed {"key":"k"}']);
  });

  it('keeps logging when a field cannot be serialised', () => {
    const { logger, lines } = recordingLogger();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    nestLoggerBridge({ logger }).info(cyclic, 'odd');
    expect(lines).toEqual(['log odd {"fields":"(not serialisable)"}']);
  });
});
