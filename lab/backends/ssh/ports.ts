// The swarm's ports probed between the hosts, from each to each, before anything is made: a short-lived listener on
// the target (busybox nc in the host's network, from the busybox image the lab side-loads anyway) and a probe from the
// source with what every host has (bash's /dev/tcp and /dev/udp). Building the probe and judging its answer are pure.
//
// How a port is judged:
// - TCP: open when the listener's word comes back; "refused" (a REJECT, the listener being there) and "silent" (no
//   answer before the deadline: a DROP) are blocked.
// - UDP has no handshake and the busybox the hosts get has no UDP listener: the probe sends datagrams on a connected
//   socket, and the target's kernel, having no listener there, answers "port unreachable", which the next send
//   reports as "Connection refused". So a refusal proves the datagrams reach the target; silence means they were
//   dropped on the way (or the target sends no ICMP at all: said in the fix). A firewall that REJECTs with "port
//   unreachable" cannot be told from an open port this way: the suite's pings over mynet then fail instead.

export const SWARM_PORTS = [
  { port: 2377, proto: "tcp", use: "the managers' API (swarm join, Raft)" },
  { port: 7946, proto: "tcp", use: "the nodes' gossip (memberlist)" },
  { port: 7946, proto: "udp", use: "the nodes' gossip (memberlist)" },
  { port: 4789, proto: "udp", use: "VXLAN, the overlay's data path (mynet)" },
] as const;

export type Proto = "tcp" | "udp";

/** What the listener answers each TCP connection with. */
export const OPEN_WORD = "swarmlab-open";
/** How long one probe waits for its answer, in seconds. */
export const PROBE_SECONDS = 6;

/** The listener's command, in a busybox container in the target's network: one persistent nc per TCP port. */
export function listenerCommand(seconds: number): string[] {
  const tcp = [...new Set(SWARM_PORTS.filter((p) => p.proto === "tcp").map((p) => p.port))];
  return ["sh", "-c", `${tcp.map((p) => `nc -ll -p ${p} -e echo ${OPEN_WORD} &`).join(" ")} sleep ${seconds}`];
}

/**
 * One source's probes: the targets at once, each target's ports one after the other (a kernel answers "port
 * unreachable" a few times a second per peer: probes at once would silence each other). A line
 * `probe <address> <port>/<proto> <exit> <output>` each. TCP tries again while refused (a listener still starting);
 * UDP sends a datagram every half second until one is refused.
 */
export function probeScript(targets: readonly string[]): string {
  const probe = (t: string, port: number, proto: Proto) => {
    const body =
      proto === "tcp"
        ? `for i in 1 2 3 4 5; do exec 3<>/dev/tcp/${t}/${port} && head -c ${OPEN_WORD.length} <&3 && exit 0; sleep 1; done; exit 1`
        : `exec 3<>/dev/udp/${t}/${port} || exit 1; for i in 1 2 3 4 5 6 7 8 9 10; do printf x >&3 || exit 1; sleep 0.5; done`;
    return `out=$(timeout ${PROBE_SECONDS} bash -c '${body}' 2>&1); echo "probe ${t} ${port}/${proto} $? $(echo $out | tr -s '\\n' ' ')"`;
  };
  const perTarget = targets.map((t) => `( ${SWARM_PORTS.map(({ port, proto }) => probe(t, port, proto)).join("; ")} ) &`);
  return [...perTarget, "wait"].join("\n");
}

export interface ProbeAnswer {
  target: string;
  port: number;
  proto: Proto;
  exit: number;
  output: string;
}

/** The probe lines of a source's output (other lines are ignored). */
export function parseProbes(output: string): ProbeAnswer[] {
  return output
    .split("\n")
    .map((l) => /^probe (\S+) (\d+)\/(tcp|udp) (\d+) ?(.*)$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map(([, target, port, proto, exit, out]) => ({ target, port: Number(port), proto: proto as Proto, exit: Number(exit), output: out.trim() }));
}

export type PortVerdict = "open" | "refused" | "silent";

/** What one probe's answer says (see the top of this file). */
export function judgeProbe(a: Pick<ProbeAnswer, "proto" | "exit" | "output">): { verdict: PortVerdict; says: string } {
  const refused = /connection refused/i.test(a.output);
  if (a.proto === "tcp") {
    if (a.output.includes(OPEN_WORD)) return { verdict: "open", says: "the listener answered" };
    if (refused) return { verdict: "refused", says: "the connection was refused although a listener was there (a firewall's REJECT)" };
    return { verdict: "silent", says: `no answer within ${PROBE_SECONDS} s (dropped on the way)` };
  }
  if (refused) return { verdict: "open", says: "the datagrams arrived (the target said no one listens yet, as it should)" };
  return { verdict: "silent", says: `no word back within ${PROBE_SECONDS} s: the datagrams were dropped on the way, or the target sends no ICMP` };
}
