// /dev/kvm as libvirt sees it. libvirtd decides whether KVM is usable by whether its QEMU user (libvirt-qemu) may
// open /dev/kvm, and keeps QEMU's capabilities cached with that answer; when the two disagree (the device belongs to
// a group that user is not in), the cache never matches and libvirtd starts QEMU to probe it again on every call.
// Measured: `virsh capabilities` 8 s instead of 0.03 s, a QEMU probe every second during `vagrant up`, the VMs
// starved of CPU. It happened here when a chroot's package scripts changed the host's /dev/kvm to their own group.
import { readFile, stat } from "node:fs/promises";
import { Finding, info, ok, warn } from "./finding";

export const KVM_DEVICE = "/dev/kvm";
export const QEMU_USER = "libvirt-qemu";

export interface KvmFacts {
  /** The device's group id and permission bits. */
  gid: number;
  mode: number;
  /** The group ids of libvirt's QEMU user; undefined when there is no such user (libvirt not installed). */
  qemuGroups?: number[];
}

/** The groups of a user, from /etc/passwd and /etc/group text. */
export function groupsOf(user: string, passwd: string, group: string): number[] | undefined {
  const entry = passwd
    .split("\n")
    .map((l) => l.split(":"))
    .find((f) => f[0] === user);
  if (!entry) return undefined;
  const members = group
    .split("\n")
    .map((l) => l.split(":"))
    .filter((f) => f.length >= 4 && f[3].split(",").includes(user))
    .map((f) => Number(f[2]));
  return [...new Set([Number(entry[3]), ...members])];
}

export async function readKvm(): Promise<KvmFacts | undefined> {
  const device = await stat(KVM_DEVICE).catch(() => undefined);
  if (!device) return undefined;
  const [passwd, group] = await Promise.all(["/etc/passwd", "/etc/group"].map((f) => readFile(f, "utf8").catch(() => "")));
  return { gid: device.gid, mode: device.mode & 0o777, qemuGroups: groupsOf(QEMU_USER, passwd, group) };
}

/** For labs of VMs only: whether libvirt can keep its QEMU capabilities cached. */
export function kvmFinding(kvm: KvmFacts | undefined): Finding {
  const check = "/dev/kvm";
  if (!kvm) return info(check, "absent: the VMs run under QEMU's software emulation");
  if (!kvm.qemuGroups) return info(check, `present; no user ${QEMU_USER} (libvirt is not installed: sudo bash scripts/vm-host.sh)`);
  const groupMay = (kvm.mode & 0o060) === 0o060 && kvm.qemuGroups.includes(kvm.gid);
  const otherMay = (kvm.mode & 0o006) === 0o006;
  if (groupMay || otherMay) return ok(check, `libvirt's QEMU user may open it (group ${kvm.gid}, mode ${kvm.mode.toString(8)})`);
  return warn(
    check,
    `group ${kvm.gid}, mode ${kvm.mode.toString(8)}: libvirt's QEMU user (${QEMU_USER}) may not open it, so libvirtd probes QEMU ` +
      "again on every call (seconds each) and the VMs crawl",
    "sudo bash scripts/vm-host.sh (gives /dev/kvm to group kvm, mode 0660)",
  );
}
