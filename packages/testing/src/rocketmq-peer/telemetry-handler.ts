import type { handleBidiStreamingCall, ServerDuplexStream } from '@grpc/grpc-js';
import { clientIdOf, responseDelay, type ServiceContext } from './service-context.js';
import { msToDuration, wireStatus } from './wire-codec.js';
import { Code, type TelemetryCommand, type WireSettings } from './wire-types.js';

/** What the Apache proxy tells producers: 3 attempts, 10 ms to 1 s, doubling. */
const PRODUCER_BACKOFF = {
  maxAttempts: 3,
  exponentialBackoff: { initial: msToDuration(10), max: msToDuration(1000), multiplier: 2 },
};

/**
 * The Telemetry stream: records the client's Settings and answers on the same stream with them
 * plus what the server decides. Consumers need `receive_batch_size` (else they ask for 0
 * messages), `long_polling_timeout` and a backoff policy; producers need an exponential
 * `backoff_policy` and `max_body_size` (without the policy `PublishingSettings.sync` throws inside an unhandled rejection and
 * startup hangs; a `max_body_size` of 0 fails every send).
 * The stream is completed when the client half-closes, so a later connection drop cannot reach
 * a client that already removed its listeners (`TelemetrySession.release()` calls
 * `removeAllListeners()` right after `end()`, so a later reset becomes an uncaught `CANCELLED`).
 */
export function handleTelemetry(
  context: ServiceContext,
): handleBidiStreamingCall<TelemetryCommand, TelemetryCommand> {
  return (call) => {
    const clientId = clientIdOf(call.metadata);
    let streamCounted = false;
    let closed = false;
    context.telemetryStreams.add(call);
    const onClosed = (): void => {
      if (closed) return;
      closed = true;
      context.telemetryStreams.delete(call);
      if (!streamCounted || clientId === undefined || !context.alive()) return;
      if (context.sessions.streamClosed(clientId)) {
        // The client is gone for now: its leases stop being renewed and run out.
        context.model.releaseLeases(clientId, context.config.pushInvisibleDurationMs);
      }
    };
    call.on('data', (command: TelemetryCommand) => {
      const settings = command.settings;
      if (settings === null || settings === undefined || !context.alive()) return;
      if (clientId === undefined) {
        void reply(context, call, {
          status: wireStatus(Code.CLIENT_ID_REQUIRED, 'x-mq-client-id is missing'),
        });
        return;
      }
      context.sessions.register(clientId, settings);
      if (!streamCounted) {
        streamCounted = true;
        context.sessions.streamOpened(clientId);
      }
      recordSubscriptions(context, settings);
      void reply(context, call, { status: wireStatus(Code.OK), settings: settingsReply(context, settings) });
    });
    call.on('end', () => {
      call.end();
    });
    call.on('error', onClosed);
    call.on('cancelled', onClosed);
    call.on('close', onClosed);
    call.on('finish', onClosed);
  };
}

async function reply(
  context: ServiceContext,
  call: ServerDuplexStream<TelemetryCommand, TelemetryCommand>,
  command: TelemetryCommand,
): Promise<void> {
  await responseDelay(context);
  if (!call.cancelled && call.writable) call.write(command);
}

function recordSubscriptions(context: ServiceContext, settings: WireSettings): void {
  const group = settings.subscription?.group?.name;
  if (group === undefined || group === '') return;
  for (const entry of settings.subscription?.subscriptions ?? []) {
    const topic = entry.topic?.name;
    if (topic !== undefined && topic !== '')
      context.model.subscribe(group, topic, entry.expression?.expression ?? '*');
  }
}

function settingsReply(context: ServiceContext, settings: WireSettings): WireSettings {
  const { config } = context;
  if (settings.subscription !== null && settings.subscription !== undefined) {
    const group = settings.subscription.group?.name ?? '';
    return {
      ...settings,
      backoffPolicy: {
        maxAttempts: config.maxDeliveryAttempts,
        exponentialBackoff: {
          initial: msToDuration(config.backoff.initialMs),
          max: msToDuration(config.backoff.maxMs),
          multiplier: config.backoff.multiplier,
        },
      },
      subscription: {
        ...settings.subscription,
        fifo: context.model.isFifo(group),
        receiveBatchSize: config.receiveBatchSize,
        longPollingTimeout: msToDuration(config.longPollingTimeoutMs),
      },
    };
  }
  return {
    ...settings,
    backoffPolicy: PRODUCER_BACKOFF,
    publishing: {
      topics: settings.publishing?.topics ?? [],
      maxBodySize: config.maxBodySize,
      validateMessageType: true,
    },
  };
}
