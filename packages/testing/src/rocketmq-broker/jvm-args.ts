/** Which RocketMQ process the JVM flags are for. */
export type RocketMQProcessKind = 'namesrv' | 'broker' | 'admin';

/** Options of {@link rocketmqJvmArgs}. */
export interface RocketMQJvmArgsOptions {
  /** `user.home` of the JVM: RocketMQ's logback files write to `<user.home>/logs/rocketmqlogs`. */
  readonly userHome: string;
  /** `-Xmx` in MiB; a size that suits the kind by default. */
  readonly heapMb?: number;
}

const HEAP_MB: Readonly<Record<RocketMQProcessKind, number>> = { namesrv: 128, broker: 384, admin: 128 };
const DIRECT_MB: Readonly<Record<RocketMQProcessKind, number>> = { namesrv: 64, broker: 256, admin: 64 };

/**
 * JVM flags for a RocketMQ process on a small shared test machine, instead of the distribution
 * scripts' 8 GB heap and 15 GB of direct memory.
 */
export function rocketmqJvmArgs(kind: RocketMQProcessKind, options: RocketMQJvmArgsOptions): string[] {
  const heapMb = options.heapMb ?? HEAP_MB[kind];
  return [
    `-Xms${Math.min(64, heapMb)}m`,
    `-Xmx${heapMb}m`,
    `-XX:MaxDirectMemorySize=${DIRECT_MB[kind]}m`,
    // One GC thread and the C1 compiler only: faster starts and less CPU on two shared cores.
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    `-Duser.home=${options.userHome}`,
    // No TLS on the remoting ports: skipping the self-signed certificates halves the start time.
    '-Dtls.server.mode=disabled',
    // What the distribution's runbroker.sh adds on Java 9+; Java 17 and 25 need nothing more
    // (25 only prints warnings about sun.misc.Unsafe and native access).
    '--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED',
  ];
}
