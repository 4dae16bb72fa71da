/**
 * Let the other requests run (issue 16): everything shares one thread with synchronous SQLite, so
 * long work is done in bounded steps with this between them (a macrotask: pending I/O is served).
 */
export const yieldToOthers = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));
