// The tutorial's facts, one pure predicate each: plain data read from the lab in, a Verdict out (holds, what is wrong,
// where the lab differs from the tutorial). The verification suite's claims (test/e2e/tutorial-claims.ts) and
// explain's steps (lab/explain/steps.ts) judge through these and nothing else, so they cannot disagree.
export { verdict } from "./verdict";
export type { FactName, Verdict } from "./verdict";
export { TUTORIAL, TUTORIAL_NETWORKS } from "./tutorial";
export { nodesReady, quorumOf, replicasRunning, swarmJoined, tasksSpread } from "./swarm";
export type { EngineSwarm, LabNode, NodeRow, TaskPlace } from "./swarm";
export { networksAsTutorial, overlayMade } from "./networks";
export type { NetworkRow, OverlayRow } from "./networks";
export { eth0OnOverlay, eth1OnGwbridge, inSubnet } from "./interfaces";
export type { InterfaceRow, TaskEth0, TaskEth1 } from "./interfaces";
export { leavesByGwbridge, masqueradeCounts, masqueradeRuleOf, masquerades } from "./nat";
export type { DefaultRoute, NatRow } from "./nat";
export { pathMtu, routingMesh, tasksPing, upstreamSeesNode } from "./reach";
export type { MeshAnswer, PathMtuProbe, Ran, TaskPing, UpstreamAnswer } from "./reach";
export { overlayOnTheWire } from "./wire";
export type { WireExpectation, WireVerdict } from "./wire";
