/** What the global setup hands every test file through `inject()`. */
declare module 'vitest' {
  export interface ProvidedContext {
    /** The Postgres server every test file uses (each test in its own schema). */
    databaseUrl: string;
  }
}

export {};
