// The host firewall's scripts (lab/backends/host/iptables-script.ts), run by sh against fake iptables-nft and
// iptables-legacy programs that keep their rules in files: what each call adds, removes and prints, in which backend.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { guardRules, ruleLine } from "../../lab/backends/host/firewall";
import {
  DETECT_BACKEND,
  FORWARD_SCRIPT,
  listScript,
  localIptables,
  missingScript,
  parseScriptOutput,
  removeScript,
  rulePattern,
  syncScript,
} from "../../lab/backends/host/iptables-script";

// One fake iptables per backend: chains in tables/<name>.chains, rules (`-A <chain> <spec>`, -I first) in tables/<name>.
// It prints the comment quoted, as iptables-nft does, and every rule's counters as `-c 7 420` under -v.
const FAKE = `#!/bin/sh
store="$FAKE_IPT/tables/$(basename "$0")"
[ -f "$store.chains" ] || { echo "$(basename "$0"): no tables" >&2; exit 3; }
v=
while :; do case "$1" in -w|-n) shift ;; -v) v=1; shift ;; *) break ;; esac; done
op=$1 chain=$2; shift 2; rule="-A $chain $*"
has_chain() { grep -qx -- "$chain" "$store.chains"; }
case "$op" in
  -L) has_chain ;;
  -N) has_chain && exit 1; echo "$chain" >> "$store.chains" ;;
  -S) has_chain || exit 1; echo "-N $chain"
      grep -- "^-A $chain " "$store" | sed -e 's/--comment \\([^ ]*\\)/--comment "\\1"/' -e "s/ -j /\${v:+ -c 7 420} -j /" ;;
  -C) has_chain && grep -qxF -- "$rule" "$store" ;;
  -I) has_chain || exit 1; { echo "$rule"; cat "$store"; } > "$store.new"; mv "$store.new" "$store" ;;
  -D) grep -qxF -- "$rule" "$store" || exit 1; grep -vxF -- "$rule" "$store" > "$store.new"; mv "$store.new" "$store" ;;
  *) exit 2 ;;
esac
`;

const LAB = { lab: "swarmlab", owner: "dev.0123abcd", subnet: "192.168.56.0/24", bridge: "br-0123456789ab", egress: "none" as const };
const WANTED = guardRules(LAB).map(ruleLine);
const OTHER_LAB = "-A INPUT -i br-ffffffffffff -m comment --comment swarmlab.lab=other,swarmlab.owner=x.1 -j DROP";
const HOSTS_OWN = "-A INPUT -i lo -j ACCEPT";

describe("the host firewall's scripts, one run each", () => {
  let dir: string;
  const backends = ["iptables-nft", "iptables-legacy"] as const;
  /** A backend's tables: its chains and its rules. */
  const tables = (b: string, chains: string[], rules: string[] = []) => {
    writeFileSync(path.join(dir, "tables", `${b}.chains`), chains.map((c) => `${c}\n`).join(""));
    writeFileSync(path.join(dir, "tables", b), rules.map((r) => `${r}\n`).join(""));
  };
  const rules = (b: string) =>
    readFileSync(path.join(dir, "tables", b), "utf8")
      .split("\n")
      .filter(Boolean);
  /** The script as the engine's host runs it: the backend detected first. */
  const run = (script: string) => {
    const r = spawnSync("sh", ["-c", `${DETECT_BACKEND}\n${script}`], { env: { ...process.env, FAKE_IPT: dir, PATH: `${dir}:${process.env.PATH}` } });
    assert.equal(r.status, 0, r.stderr.toString());
    return parseScriptOutput(r.stdout.toString());
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "swarmlab-ipt-"));
    mkdirSync(path.join(dir, "tables"));
    for (const b of backends) {
      writeFileSync(path.join(dir, b), FAKE);
      chmodSync(path.join(dir, b), 0o755);
    }
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("sync puts the lab's rules, in order and above the host's own, into the backend holding Docker's chains only", () => {
    tables("iptables-nft", ["INPUT", "FORWARD", "DOCKER", "DOCKER-USER"], [HOSTS_OWN]);
    tables("iptables-legacy", ["INPUT", "FORWARD"]);
    const out = run(syncScript(rulePattern(LAB.lab, LAB.owner), WANTED));
    assert.equal(out.backend, "iptables-nft");
    assert.deepEqual(rules("iptables-nft"), [...WANTED, HOSTS_OWN]);
    assert.deepEqual(rules("iptables-legacy"), []);
  });

  it("the doctor's read: FORWARD's lines and whether DOCKER-USER exists, from the backend holding Docker's chains", () => {
    const jump = "-A FORWARD -j DOCKER-USER";
    tables("iptables-nft", ["INPUT", "FORWARD", "DOCKER", "DOCKER-USER"], [jump]);
    tables("iptables-legacy", ["INPUT", "FORWARD"], ["-A FORWARD -j DROP"]);
    const out = run(FORWARD_SCRIPT);
    assert.deepEqual([out.backend, out.forward, out.dockerUser], ["iptables-nft", ["-N FORWARD", jump], true]);
    tables("iptables-nft", ["INPUT", "FORWARD", "DOCKER"]);
    assert.equal(run(FORWARD_SCRIPT).dockerUser, false, "no DOCKER-USER: Docker does not manage this firewall");
  });

  it("with Docker's chains in iptables-legacy, the rules go there", () => {
    tables("iptables-nft", ["INPUT", "FORWARD"]);
    tables("iptables-legacy", ["INPUT", "FORWARD", "DOCKER", "DOCKER-USER"]);
    assert.equal(run(syncScript(rulePattern(LAB.lab, LAB.owner), WANTED)).backend, "iptables-legacy");
    assert.equal(rules("iptables-legacy").length, 3);
    assert.deepEqual(rules("iptables-nft"), []);
  });

  it("sync again changes nothing; a stale rule of the lab (a replaced bridge) goes, another lab's and the host's stay", () => {
    const stale = WANTED[1].replace("br-0123456789ab", "br-000000000000");
    tables("iptables-nft", ["INPUT", "FORWARD", "DOCKER", "DOCKER-USER"], [stale, OTHER_LAB, HOSTS_OWN]);
    tables("iptables-legacy", []);
    run(syncScript(rulePattern(LAB.lab, LAB.owner), WANTED));
    run(syncScript(rulePattern(LAB.lab, LAB.owner), WANTED));
    assert.deepEqual(rules("iptables-nft"), [...WANTED, OTHER_LAB, HOSTS_OWN]);
  });

  it("where the engine made no DOCKER-USER, sync makes it and FORWARD jumps to it", () => {
    tables("iptables-nft", ["INPUT", "FORWARD", "DOCKER"]);
    tables("iptables-legacy", []);
    run(syncScript(rulePattern(LAB.lab, LAB.owner), WANTED));
    assert.deepEqual(rules("iptables-nft").slice(-1), ["-A FORWARD -j DOCKER-USER"]);
    assert.ok(rules("iptables-nft").includes(WANTED[2]));
  });

  it("missing names the rules that are gone; list prints the lab's (unquoted, with counters when asked); remove takes only the owner's", () => {
    tables("iptables-nft", ["INPUT", "FORWARD", "DOCKER", "DOCKER-USER"], [WANTED[0], OTHER_LAB, HOSTS_OWN]);
    tables("iptables-legacy", []);
    assert.deepEqual(run(missingScript(WANTED)).missing, [WANTED[1], WANTED[2]]);
    assert.deepEqual(run(listScript(rulePattern(LAB.lab, LAB.owner))).lines, [WANTED[0]]);
    assert.deepEqual(run(listScript(rulePattern(undefined))).lines, [WANTED[0], OTHER_LAB]);
    assert.deepEqual(run(listScript(rulePattern(LAB.lab, LAB.owner), true)).lines, [WANTED[0].replace(" -j ", " -c 7 420 -j ")]);
    assert.deepEqual(run(removeScript(rulePattern(LAB.lab, LAB.owner))).lines, [WANTED[0]]);
    assert.deepEqual(rules("iptables-nft"), [OTHER_LAB, HOSTS_OWN]);
  });

  it("neither backend lists Docker's chains: iptables-nft is used and the output says so", () => {
    tables("iptables-nft", ["INPUT", "FORWARD"]);
    tables("iptables-legacy", ["INPUT", "FORWARD"]);
    assert.equal(run(listScript(rulePattern(LAB.lab))).backend, "none");
  });

  it("on this machine, the script runs the given command (root: iptables; else sudo -n iptables) with -w", () => {
    assert.equal(localIptables(["sudo", "-n", "iptables"]), `ipt() { 'sudo' '-n' 'iptables' -w "$@"; }`);
  });
});

describe("which of a lab's rules a call takes", () => {
  const line = (comment: string) => `-A INPUT -i br-1 -m comment --comment ${comment} -j DROP`;
  const takes = (pattern: string, comment: string) => new RegExp(pattern).test(line(comment));

  it("one owner's, exactly; a lab's (any owner, or none recorded); every lab's; never a lab whose name only starts alike", () => {
    const own = rulePattern("lab", "dev.1");
    assert.ok(takes(own, "swarmlab.lab=lab,swarmlab.owner=dev.1"));
    assert.ok(!takes(own, "swarmlab.lab=lab,swarmlab.owner=dev.12"));
    assert.ok(!takes(own, "swarmlab.lab=lab,swarmlab.owner=devx1"), "the owner's dot is no wildcard");
    assert.ok(takes(rulePattern("lab", ""), "swarmlab.lab=lab"));
    assert.ok(!takes(rulePattern("lab", ""), "swarmlab.lab=lab,swarmlab.owner=dev.1"));
    assert.ok(takes(rulePattern("lab"), "swarmlab.lab=lab") && takes(rulePattern("lab"), "swarmlab.lab=lab,swarmlab.owner=x"));
    assert.ok(!takes(rulePattern("lab"), "swarmlab.lab=lab2,swarmlab.owner=x"));
    assert.ok(takes(rulePattern(undefined), "swarmlab.lab=anything"));
    assert.ok(!new RegExp(rulePattern(undefined)).test("-A FORWARD -m comment --comment swarmlab.lab=x -j DROP"), "only the guards' chains");
  });
});
