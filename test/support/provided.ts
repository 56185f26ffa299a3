import 'vitest';

/** What the global setup provides to every test file (`inject('redisUrl')`). */
declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
