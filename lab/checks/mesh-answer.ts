// What the routing mesh's check publishes and what counts as its answer: shared by the probe (mesh.ts) and the
// predicate that judges it (lab/facts/reach.ts), which must not depend on the connected lab the probe runs on.
export const MESH_PORT = 8080;
/** The status line of an answer from busybox httpd. */
export const ANSWERED = /^HTTP\/1\.[01] 200/;
