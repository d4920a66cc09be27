/**
 * The shapes @grpc/proto-loader gives for the `apache.rocketmq.v2` messages the peer reads and
 * writes, loaded with `keepCase: false, longs: Number, enums: Number, defaults: true,
 * oneofs: true`: absent message fields decode as `null`, absent proto3 `optional` scalars as
 * `undefined`, bytes as `Buffer`. Only the fields the peer uses are listed.
 */

/** `apache.rocketmq.v2.Code` values the peer answers with. */
export const Code = {
  OK: 20000,
  MULTIPLE_RESULTS: 30000,
  BAD_REQUEST: 40000,
  ILLEGAL_TOPIC: 40002,
  ILLEGAL_CONSUMER_GROUP: 40003,
  ILLEGAL_FILTER_EXPRESSION: 40010,
  ILLEGAL_INVISIBLE_TIME: 40011,
  INVALID_RECEIPT_HANDLE: 40013,
  CLIENT_ID_REQUIRED: 40017,
  MESSAGE_NOT_FOUND: 40401,
  TOPIC_NOT_FOUND: 40402,
  MESSAGE_BODY_TOO_LARGE: 41301,
  INTERNAL_SERVER_ERROR: 50001,
} as const;

/** A status code of the RocketMQ protocol (not a gRPC status). */
export type CodeValue = (typeof Code)[keyof typeof Code];

/** `apache.rocketmq.v2.FilterType`. */
export const FilterType = { TAG: 1, SQL: 2 } as const;
/** `apache.rocketmq.v2.MessageType`. */
export const MessageType = { NORMAL: 1, FIFO: 2, DELAY: 3, TRANSACTION: 4 } as const;

/** `Status`: a RocketMQ code and its explanation. */
export interface WireStatus {
  readonly code: number;
  readonly message: string;
}
/** `google.protobuf.Duration`. */
export interface WireDuration {
  readonly seconds: number;
  readonly nanos: number;
}
/** `google.protobuf.Timestamp`, epoch seconds and nanos. */
export type WireTimestamp = WireDuration;
/** `Resource`: a topic or group name. */
export interface WireResource {
  readonly resourceNamespace?: string;
  readonly name: string;
}
/** `Address`. */
export interface WireAddress {
  readonly host: string;
  readonly port: number;
}
/** `Endpoints`: where a broker is reached. */
export interface WireEndpoints {
  readonly scheme: number;
  readonly addresses: readonly WireAddress[];
}
/** `FilterExpression`: TAG or SQL. */
export interface WireFilterExpression {
  readonly type: number;
  readonly expression: string;
}
/** `MessageQueue` as routes and assignments carry it. */
export interface WireMessageQueue {
  readonly topic: WireResource | null;
  readonly id: number;
  readonly permission: number;
  readonly broker: {
    readonly name: string;
    readonly id: number;
    readonly endpoints: WireEndpoints | null;
  } | null;
  readonly acceptMessageTypes: readonly number[];
}

/** `SystemProperties` of a message. */
export interface WireSystemProperties {
  readonly tag?: string | undefined;
  readonly keys: readonly string[];
  readonly messageId: string;
  readonly bodyDigest: { readonly type: number; readonly checksum: string } | null;
  readonly bodyEncoding: number;
  readonly messageType: number;
  readonly bornTimestamp: WireTimestamp | null;
  readonly bornHost: string;
  readonly storeTimestamp?: WireTimestamp | null | undefined;
  readonly storeHost?: string;
  readonly deliveryTimestamp?: WireTimestamp | null | undefined;
  readonly receiptHandle?: string | undefined;
  readonly queueId: number;
  readonly queueOffset?: number | undefined;
  readonly invisibleDuration?: WireDuration | null | undefined;
  readonly deliveryAttempt?: number | undefined;
  readonly messageGroup?: string | undefined;
}
/** `Message`, as SendMessage carries it in and ReceiveMessage out. */
export interface WireMessage {
  readonly topic: WireResource | null;
  readonly userProperties: Readonly<Record<string, string>>;
  readonly systemProperties: WireSystemProperties | null;
  readonly body: Buffer;
}

/** `QueryRouteRequest`. */
export interface QueryRouteRequest {
  readonly topic: WireResource | null;
}
/** `QueryAssignmentRequest`. */
export interface QueryAssignmentRequest {
  readonly topic: WireResource | null;
  readonly group: WireResource | null;
}
/** `SendMessageRequest`. */
export interface SendMessageRequest {
  readonly messages: readonly WireMessage[];
}
/** `ReceiveMessageRequest`; `invisible_duration` is absent with `auto_renew`. */
export interface ReceiveMessageRequest {
  readonly group: WireResource | null;
  readonly messageQueue: WireMessageQueue | null;
  readonly filterExpression: WireFilterExpression | null;
  readonly batchSize: number;
  readonly invisibleDuration?: WireDuration | null | undefined;
  readonly autoRenew: boolean;
  readonly longPollingTimeout?: WireDuration | null | undefined;
}
/** `AckMessageRequest`. */
export interface AckMessageRequest {
  readonly group: WireResource | null;
  readonly topic: WireResource | null;
  readonly entries: readonly { readonly messageId: string; readonly receiptHandle: string }[];
}
/** `ChangeInvisibleDurationRequest`. */
export interface ChangeInvisibleDurationRequest {
  readonly group: WireResource | null;
  readonly topic: WireResource | null;
  readonly receiptHandle: string;
  readonly invisibleDuration: WireDuration | null;
  readonly messageId: string;
}
/** `ForwardMessageToDeadLetterQueueRequest`. */
export interface ForwardMessageToDeadLetterQueueRequest {
  readonly group: WireResource | null;
  readonly topic: WireResource | null;
  readonly receiptHandle: string;
  readonly messageId: string;
}
/** Heartbeat and NotifyClientTermination requests: an optional group. */
export interface GroupRequest {
  readonly group?: WireResource | null | undefined;
}

/** `Subscription` settings of a consumer. */
export interface WireSubscription {
  readonly group?: WireResource | null | undefined;
  readonly subscriptions: readonly {
    readonly topic: WireResource | null;
    readonly expression: WireFilterExpression | null;
  }[];
  readonly fifo?: boolean | undefined;
  readonly receiveBatchSize?: number | undefined;
  readonly longPollingTimeout?: WireDuration | null | undefined;
}
/** `Publishing` settings of a producer. */
export interface WirePublishing {
  readonly topics: readonly WireResource[];
  readonly maxBodySize: number;
  readonly validateMessageType: boolean;
}
/** `RetryPolicy` with exponential backoff, the only strategy the 1.0.8 client reads. */
export interface WireRetryPolicy {
  readonly maxAttempts: number;
  readonly exponentialBackoff: {
    readonly initial: WireDuration;
    readonly max: WireDuration;
    readonly multiplier: number;
  };
}
/** `Settings`, sent by the client and echoed, completed, by the server. */
export interface WireSettings {
  readonly clientType?: number | undefined;
  readonly accessPoint?: WireEndpoints | null | undefined;
  readonly backoffPolicy?: WireRetryPolicy | null | undefined;
  readonly requestTimeout?: WireDuration | null | undefined;
  readonly publishing?: WirePublishing | null | undefined;
  readonly subscription?: WireSubscription | null | undefined;
  readonly userAgent?: unknown;
  readonly metric?: unknown;
  readonly pubSub?: 'publishing' | 'subscription' | undefined;
}
/** `TelemetryCommand`; the peer reads and writes only `settings` and `status`. */
export interface TelemetryCommand {
  readonly status?: WireStatus | null | undefined;
  readonly settings?: WireSettings | null | undefined;
  readonly command?: string | undefined;
}

/** One frame of the ReceiveMessage server stream: exactly one of the three fields. */
export type ReceiveMessageResponse =
  | { readonly status: WireStatus }
  | { readonly message: WireMessage }
  | { readonly deliveryTimestamp: WireTimestamp };
