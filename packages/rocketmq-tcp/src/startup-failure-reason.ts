/** What a failed client startup comes down to, for the one error a user reads. */
export interface StartupFailureReason {
  /** Short and first: `connection refused (connect ECONNREFUSED 127.0.0.1:1)`. */
  readonly reason: string;
  /** The innermost error of the cause chain: the one that says what happened. */
  readonly rootCause: unknown;
}

// Socket errors as Node names them, in the words an operator searches for.
const SOCKET_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};
const SOCKET_ERROR = new RegExp(
  `(?:(?:connect|getaddrinfo|read|write)\\s+)?\\b(${Object.keys(SOCKET_ERRORS).join('|')})\\b(?:\\s+([^\\s,;]+))?`,
);

/**
 * rocketmq-client-nodejs wraps a failed startup three levels deep ("Startup the rocketmq client
 * failed ... Failed to fetch topic routes after 3 attempts" around grpc-js's "14 UNAVAILABLE:
 * No connection established. Last error: Error: connect ECONNREFUSED ..."), so the useful part
 * came last and printed ~50 lines of stacks. This finds the root cause and names it first.
 */
export function startupFailureReason(error: unknown): StartupFailureReason {
  const chain: unknown[] = [];
  for (let current: unknown = error; current !== undefined && chain.length < 10; ) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  const rootCause = chain[chain.length - 1];
  for (const link of [...chain].reverse()) {
    const match = SOCKET_ERROR.exec(messageOf(link));
    if (match === null) continue;
    const code = match[1] ?? '';
    const detail = match[0].replace(/[.:]$/, '');
    return { reason: `${SOCKET_ERRORS[code] ?? code} (${detail})`, rootCause };
  }
  return { reason: firstLine(messageOf(rootCause)), rootCause };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]?.trim() ?? '';
}
