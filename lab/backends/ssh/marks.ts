// The lab's mark on a host: its public key in the user's ~/.ssh/authorized_keys, on a line whose comment names the
// lab and its owner, so that down removes exactly that line and nothing the user put there. Everything the lab made
// in the host's engine carries the swarmlab.lab label (the service, mynet); the swarm membership is the lab's because
// the doctor refuses a host already in a swarm.
import type { NodeSession } from "../../remote";
import type { LabIdentity } from "../../types";

const FILE = "$HOME/.ssh/authorized_keys";

/** The comment that marks the lab's key line: swarmlab:lab=<lab>:owner=<owner>. */
export function markOf(id: LabIdentity): string {
  return `swarmlab:lab=${id.lab}:owner=${id.owner}`;
}

/** The lab's key line: the key without its own comment, then the lab's mark. */
export function keyLine(publicKey: string, id: LabIdentity): string {
  const [type, blob] = publicKey.trim().split(/\s+/);
  return `${type} ${blob} ${markOf(id)}`;
}

/** Adds the line unless present; the file and folder are made private as sshd wants them. */
export async function authorise(s: NodeSession, line: string): Promise<void> {
  await s.run(
    `umask 077; mkdir -p "$HOME/.ssh"; touch ${FILE}; line=$(cat); grep -qxF -- "$line" ${FILE} || printf '%s\\n' "$line" >> ${FILE}`,
    line,
  );
}

/**
 * Removes the lab's lines (of one owner, when given), keeping the file itself (its mode, owner and inode) and every
 * other line as it was; returns how many went.
 */
export async function unauthorise(s: NodeSession, lab: string, owner?: string): Promise<number> {
  const mark = owner === undefined ? ` swarmlab:lab=${lab}:owner=` : ` ${markOf({ lab, owner })}`;
  const out = await s.run(
    `f=${FILE}; [ -f "$f" ] || { echo 0; exit 0; }; mark=$(cat); n=$(grep -cF -- "$mark" "$f" || true); ` +
      `if [ "$n" -gt 0 ]; then t=$(mktemp); grep -vF -- "$mark" "$f" > "$t" || true; cat "$t" > "$f"; rm -f "$t"; fi; echo "$n"`,
    mark,
  );
  return Number(out.trim()) || 0;
}

/** The marks of labs on the host ("swarmlab:lab=<lab>:owner=<owner>" each). */
export async function marksOn(s: NodeSession): Promise<LabIdentity[]> {
  const out = await s.exec(`grep -oE 'swarmlab:lab=[a-z0-9-]+:owner=[^ ]+$' ${FILE} 2>/dev/null`);
  return out.stdout
    .split("\n")
    .map((l) => /^swarmlab:lab=([a-z0-9-]+):owner=(\S+)$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map(([, lab, owner]) => ({ lab, owner }));
}
