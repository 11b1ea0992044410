import { ContainerModule, type ServiceIdentifier } from 'inversify';

/** The names of the methods of `P` that answer a promise: the only ones a port loaded on first use can have. */
export type AsyncMethodOf<P> = {
  [K in keyof P]: P[K] extends (...args: never[]) => Promise<unknown> ? K : never;
}[keyof P] &
  string;

/** Every async method of `P`, each `true`: a port that gains a method fails to compile until it is listed. */
export type AsyncMethodsOf<P> = { readonly [K in AsyncMethodOf<P>]: true };

/**
 * A port whose adapter is loaded on the first call of one of its `methods`, by `load` (a dynamic `import()` of
 * the adapter and of the AWS SDK client under it), and kept for every later call. For the ports that only some
 * invocations call: a function's cold start then loads none of that SDK client, and an invocation that needs
 * it loads it once. A failed load fails that call and is tried again on the next.
 *
 * esbuild keeps a module reached only through `import()` out of the bundle's top-level code (and an external
 * package's `require` with it) until the import runs: `test/infra/lambda-bundles.test.ts` checks what each
 * handler loads at cold start.
 */
export function loadedOnFirstUse<P extends object>(methods: AsyncMethodsOf<P>, load: () => Promise<P>): P {
  let loaded: Promise<P> | undefined;
  const adapter = (): Promise<P> =>
    (loaded ??= load().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    }));
  const port: Partial<Record<string, (...args: unknown[]) => Promise<unknown>>> = {};
  for (const method of Object.keys(methods) as AsyncMethodOf<P>[]) {
    port[method] = async (...args) => {
      const target = await adapter();
      return (target[method] as (...args: unknown[]) => Promise<unknown>).apply(target, args);
    };
  }
  return port as P;
}

/** Binds `token` to the port `loadedOnFirstUse` makes: a container module like the adapter's own. */
export function firstUseModule<P extends object>(
  token: ServiceIdentifier<P>,
  methods: AsyncMethodsOf<P>,
  load: () => Promise<P>,
): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(token).toConstantValue(loadedOnFirstUse(methods, load));
  });
}
