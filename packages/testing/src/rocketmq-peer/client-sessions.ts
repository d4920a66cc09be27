import type { WireSettings } from './wire-types.js';

interface ClientSession {
  settings: WireSettings;
  openStreams: number;
}

/**
 * What one server generation knows about its clients, keyed by `x-mq-client-id`: their last
 * Settings and their open Telemetry streams. Lost on restart, as a real proxy loses it.
 */
export class ClientSessions {
  readonly #sessions = new Map<string, ClientSession>();

  /** Records the Settings a client sent on a Telemetry stream. */
  register(clientId: string, settings: WireSettings): void {
    const session = this.#sessions.get(clientId);
    if (session === undefined) this.#sessions.set(clientId, { settings, openStreams: 0 });
    else session.settings = settings;
  }

  /** True once the client's Settings arrived; the proxy refuses receives before that. */
  hasSettings(clientId: string): boolean {
    return this.#sessions.has(clientId);
  }

  streamOpened(clientId: string): void {
    const session = this.#sessions.get(clientId);
    if (session !== undefined) session.openStreams++;
  }

  /** Returns true when the client has no open Telemetry stream left. */
  streamClosed(clientId: string): boolean {
    const session = this.#sessions.get(clientId);
    if (session === undefined) return true;
    session.openStreams = Math.max(0, session.openStreams - 1);
    return session.openStreams === 0;
  }

  /** True while the client keeps a Telemetry stream open: its PushConsumer leases are renewed. */
  isOnline(clientId: string): boolean {
    return (this.#sessions.get(clientId)?.openStreams ?? 0) > 0;
  }

  /** Forgets a client that said goodbye with NotifyClientTermination. */
  forget(clientId: string): void {
    this.#sessions.delete(clientId);
  }
}
