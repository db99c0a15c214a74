// Rules of the import graph, checked by `npm run test:unit` (so CI runs it). No cycles, type-only imports included:
// a cycle is what made the backend seam a circle (issue 16), and modules loaded in a cycle see each other
// half-initialised at run time. And backends are plug-ins: the interface names none, no backend uses another, what
// they share (lab/backends/host/) belongs to none of them.
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
    {
      name: "interface-names-no-backend",
      severity: "error",
      comment: "lab/backends/backend.ts is the interface: the registry (lab/backends/index.ts) names the backends.",
      from: { path: "^lab/backends/backend[.]ts$" },
      to: { path: "^lab/backends/[^/]+/" },
    },
    {
      name: "backends-apart",
      severity: "error",
      comment: "A backend uses no other backend: what two share belongs in lab/backends/host/.",
      from: { path: "^lab/backends/([^/]+)/" },
      to: { path: "^lab/backends/[^/]+/", pathNot: ["^lab/backends/$1/", "^lab/backends/host/"] },
    },
    {
      name: "host-owns-no-backend",
      severity: "error",
      comment: "lab/backends/host/ is what backends share: it uses none of them.",
      from: { path: "^lab/backends/host/" },
      to: { path: "^lab/backends/[^/]+/", pathNot: "^lab/backends/host/" },
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
