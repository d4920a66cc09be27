/** The parts of rocketmq-client-nodejs 1.0.8's BaseClient this reaches (public in its JS). */
interface ClientInternals {
  getTotalRouteEndpoints(): unknown[];
  getTelemetrySession(endpoints: unknown): { syncSettings(): void };
}

/** How often the settings are sent again while startup() waits for the proxy's answer. */
export const SETTINGS_RESYNC_INTERVAL_MS = 250;

/**
 * Sends the client's settings again every 250 ms until the returned function is called, so a
 * `startup()` that missed the proxy's answer still gets one.
 *
 * Why: rocketmq-client-nodejs 1.0.8 fetches the routes of its topics one after another, opens
 * the Telemetry stream (and sends its settings) when the first route names the broker, and only
 * after the last route starts waiting for the settings answer. An answer that arrives while a
 * later topic's route is still being fetched is dropped, and startup() then waits forever: with
 * two topics on a warm connection it did, every time. Every settings message the client sends
 * is answered with settings, so the next one ends the wait.
 */
export function resyncSettingsDuringStartup(client: object): () => void {
  const internals = client as unknown as ClientInternals;
  const timer = setInterval(() => {
    try {
      for (const endpoints of internals.getTotalRouteEndpoints())
        internals.getTelemetrySession(endpoints).syncSettings();
    } catch {
      // Best effort: a client shutting down meanwhile has nothing to resync.
    }
  }, SETTINGS_RESYNC_INTERVAL_MS);
  // The startup timeout bounds the wait; this timer must never hold the process on its own.
  timer.unref();
  return () => clearInterval(timer);
}
