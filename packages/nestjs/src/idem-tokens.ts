/** The injection token of the resolved {@link IdemModuleOptions}. */
export const IDEM_MODULE_OPTIONS: unique symbol = Symbol('IDEM_MODULE_OPTIONS');

/**
 * The injection token of the `Kysely` instance Idem dispatches through: inject it into your
 * repositories to read outside handlers (`@Inject(IDEM_DATABASE) db: Kysely<YourDb>`).
 */
export const IDEM_DATABASE: unique symbol = Symbol('IDEM_DATABASE');
