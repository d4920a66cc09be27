/**
 * `promise`'s result, or a rejection naming `what` once `ms` pass first. For the real RocketMQ
 * client, whose startup can wait forever for its Settings and whose calls have no deadline of
 * their own. The timer is cleared either way, so it never holds a process open.
 */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
