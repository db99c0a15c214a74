// The import graph's one rule, checked by `npm run test:unit` (so CI runs it): no cycles, type-only imports
// included. A cycle is what made the backend seam a circle (issue 16); modules loaded in a cycle also see each
// other half-initialised at run time.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "This module is part of an import cycle: move what both sides need into a module of its own.",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    // Only our code: a package's own cycles are not ours to fix, and cruising them is most of the time taken.
    doNotFollow: { path: "node_modules" },
    exclude: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    // Dynamic import() counts: a lazily loaded module is still loaded.
    tsPreCompilationDeps: true,
  },
};
