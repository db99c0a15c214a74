// A lab of VMs' logs: libvirt's description of each domain, and what the node says about itself (Docker's journal,
// docker info, networks, tasks, iptables, routes), read through `vagrant ssh`: Vagrant's own key and management
// network, so this works when the lab's key, its sshd on the lab address or the lab network is what broke.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { NODE_DIAGNOSTICS } from "../host/diagnostics";
import { virsh } from "./virsh";
import { vagrantSsh } from "./vagrant";

/** The diagnostics of a lab machine (lab/backends/host), where a VM keeps them (dockerd logs to the journal there). */
export const VM_DIAGNOSTICS: [string, string][] = NODE_DIAGNOSTICS.map(([file, cmd]) =>
  file === "dockerd.log"
    ? ["dockerd.log", "sudo journalctl -u docker.service --no-pager -n 2000"]
    : [file, cmd.replace(/^(iptables-save|docker)/, "sudo $1")],
);

export async function collectVmLogs(root: string, lab: string, node: string, domain: string, running: boolean, dir: string): Promise<string[]> {
  const nodeDir = path.join(dir, node);
  await mkdir(nodeDir, { recursive: true });
  const written: string[] = [];
  const write = async (file: string, content: string) => {
    await writeFile(path.join(nodeDir, file), content);
    written.push(path.join(nodeDir, file));
  };
  const xml = await virsh(["dumpxml", domain], false);
  await write("domain.xml", xml.stdout + xml.stderr);
  if (!running) return written;
  const script = VM_DIAGNOSTICS.map(([file, cmd]) => `echo "=== ${file}"; ${cmd} 2>&1`).join("; ");
  const r = await vagrantSsh({ lab, name: node }, root, script, 120_000);
  const sections = (r.stdout + r.stderr).split(/^=== /m).filter(Boolean);
  for (const section of sections) {
    const [file, ...rest] = section.split("\n");
    if (VM_DIAGNOSTICS.some(([f]) => f === file.trim())) await write(file.trim(), rest.join("\n"));
  }
  if (sections.length === 0) await write("vagrant-ssh.txt", `vagrant ssh failed (exit ${r.exitCode}):\n${r.stderr}`);
  return written;
}
