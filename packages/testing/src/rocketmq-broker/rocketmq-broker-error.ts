/**
 * Codes of {@link RocketMQBrokerError}:
 * - `JAVA_NOT_FOUND`: no `java` on the PATH or under `JAVA_HOME`, or it is older than 17;
 * - `MAVEN_NOT_FOUND`: the broker jars are not cached yet and no `mvn` is on the PATH;
 * - `JARS_UNAVAILABLE`: Maven ran but could not fetch the jars (network, repository, version);
 * - `PORT_IN_USE`: no free loopback ports were found, or a port was taken before the broker bound it;
 * - `BROKER_START_TIMEOUT`: a process did not become ready in time (the message carries its log tail);
 * - `BROKER_START_FAILED`: a process exited or printed a fatal error while starting;
 * - `ADMIN_COMMAND_FAILED`: `mqadmin` (MQAdminStartup) did not confirm a topic or group update;
 * - `TOPIC_NOT_FOUND`: an external broker has no route for a topic the test asked for;
 * - `EXTERNAL_BROKER`: the operation needs a broker this process started (`ROCKETMQ_ENDPOINTS` is set);
 * - `BROKER_STOPPED`: the broker was stopped before or during the call.
 */
export type RocketMQBrokerErrorCode =
  | 'JAVA_NOT_FOUND'
  | 'MAVEN_NOT_FOUND'
  | 'JARS_UNAVAILABLE'
  | 'PORT_IN_USE'
  | 'BROKER_START_TIMEOUT'
  | 'BROKER_START_FAILED'
  | 'ADMIN_COMMAND_FAILED'
  | 'TOPIC_NOT_FOUND'
  | 'EXTERNAL_BROKER'
  | 'BROKER_STOPPED';

/** The one error class of the real-broker launcher: branch on `code`, not on the message. */
export class RocketMQBrokerError extends Error {
  override readonly name: string = 'RocketMQBrokerError';
  readonly code: RocketMQBrokerErrorCode;

  constructor(code: RocketMQBrokerErrorCode, message: string, options: { readonly cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
