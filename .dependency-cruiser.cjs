/** Dependencies point inward only: entrypoints → adapters → application → domain. */
module.exports = {
  forbidden: [
    {
      name: 'no-domain-to-outer-layers',
      comment: "The domain is pure: it imports nothing but itself and the platform's SHA-256 (node:crypto).",
      severity: 'error',
      from: { path: '^src/domain' },
      to: { pathNot: ['^src/domain', '^crypto$'] },
    },
    {
      name: 'no-application-to-adapters-or-entrypoints',
      comment: 'The application knows the domain and its own ports, never the technology behind them.',
      severity: 'error',
      from: { path: '^src/application' },
      to: { path: '^src/(adapters|entrypoints)' },
    },
    {
      name: 'no-adapters-to-entrypoints',
      comment: 'Adapters implement ports; composition happens in the entrypoints.',
      severity: 'error',
      from: { path: '^src/adapters' },
      to: { path: '^src/entrypoints' },
    },
    {
      name: 'no-lambda-to-local',
      comment:
        'The Lambda composition holds the product only: the embedded stack, fault injection and the CLI stay out of it.',
      severity: 'error',
      from: { path: '^src/entrypoints/(lambda|container|api)' },
      to: { path: '^src/entrypoints/(local|cli)' },
    },
    {
      name: 'no-product-to-tests',
      comment:
        'Test support (fixed clocks, in-memory queues, object mothers) and the benchmark are not part of the product.',
      severity: 'error',
      from: { path: '^src' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
