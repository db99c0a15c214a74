// The programs a lab of VMs needs on this machine, each with the Debian package that has it and what it does for the
// lab. The backend runs vagrant, virsh, flock and ip itself: a missing one fails the call with one line naming the
// program and its fix (MissingProgram), never Node's raw "spawn virsh ENOENT". libvirtd runs QEMU and dnsmasq; the
// doctor looks for every one of them before up (lab/doctor/vm-host.ts).
import { accessSync, constants } from "node:fs";
import path from "node:path";
import { execa, ExecaReturnValue, Options } from "./execa";

/** What installs QEMU, libvirt, Vagrant with vagrant-libvirt and dnsmasq, and starts libvirtd. */
export const VM_HOST_FIX = "sudo bash scripts/vm-host.sh (installs QEMU, libvirt, Vagrant with vagrant-libvirt and dnsmasq, and starts libvirtd)";

export interface Program {
  name: string;
  /** The Debian package that has it. */
  debianPackage: string;
  /** Who runs it and what for, as the end of the sentence that says it is missing. */
  why: string;
  /**
   * Where it is looked for: on PATH, as a spawn of this process finds it; or also in the system's folders, for what
   * libvirtd (root, whose PATH has sbin) runs although a user's PATH may lack them.
   */
  lookIn: "path" | "system";
  /** The command that installs it. */
  fix: string;
}

const program = (name: string, debianPackage: string, lookIn: Program["lookIn"], why: string, fix = VM_HOST_FIX) =>
  ({ name, debianPackage, lookIn, why, fix }) satisfies Program;
const BACKEND = "the vagrant backend";

/** Every program a lab of VMs needs here, in the order the doctor reports them. */
export const VM_PROGRAMS: readonly Program[] = Object.freeze([
  program("vagrant", "vagrant", "path", `${BACKEND} makes each VM with it (vagrant up of the Vagrantfile)`),
  program("virsh", "libvirt-clients", "path", `${BACKEND} lists, starts and removes the lab's VMs, disks and libvirt networks with it`),
  program("qemu-system-x86_64", "qemu-system-x86", "system", "libvirtd runs the VMs in it (KVM where it can, else software emulation)"),
  program("qemu-img", "qemu-utils", "system", "vagrant-libvirt reads the box's disk image with it"),
  program("dnsmasq", "dnsmasq-base", "system", "libvirtd runs it for DHCP on Vagrant's management network to the VMs"),
  program("flock", "util-linux", "path", `${BACKEND} lets one vagrant up at a time copy the box with it`, "sudo apt-get install util-linux"),
  program("ip", "iproute2", "path", `${BACKEND} plugs the upstream host into the lab bridge with it`, "sudo apt-get install iproute2"),
]);

export const programNamed = (name: string): Program => {
  const found = VM_PROGRAMS.find((p) => p.name === name);
  if (!found) throw new Error(`no program ${name} in VM_PROGRAMS`);
  return found;
};

/** Where libvirtd (root) finds what the user's PATH may lack. */
const SYSTEM_DIRS = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** The file a program runs from: on PATH (and, for what libvirtd runs, the system's folders); undefined if none. */
export function findProgram(p: Pick<Program, "name" | "lookIn">, searchPath = process.env.PATH ?? ""): string | undefined {
  const dirs = searchPath.split(path.delimiter).filter(Boolean);
  for (const dir of p.lookIn === "system" ? [...dirs, ...SYSTEM_DIRS] : dirs) {
    const file = path.join(dir, p.name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** "virsh is not installed (not on PATH; Debian package libvirt-clients): the vagrant backend … with it". */
export function missingSays(p: Program): string {
  const system = `${SYSTEM_DIRS.slice(0, -1).join(", ")} or ${SYSTEM_DIRS.at(-1)}`;
  const where = p.lookIn === "path" ? "not on PATH" : `not on PATH, nor in ${system}`;
  return `${p.name} is not installed (${where}; Debian package ${p.debianPackage}): ${p.why}`;
}

/** A program the backend runs is not installed: one line, the program and its fix. */
export class MissingProgram extends Error {
  readonly fix: string;
  constructor(readonly program: Program) {
    super(`${missingSays(program)}. Fix: ${program.fix}`);
    this.name = "MissingProgram";
    this.fix = program.fix;
  }
}

/** Fails with MissingProgram, before anything is done, when the program is not on PATH. */
export function assertInstalled(name: string): void {
  const p = programNamed(name);
  if (!findProgram(p)) throw new MissingProgram(p);
}

/** Whether an execa error, or a result of reject: false, is the program not being there (spawn's ENOENT). */
export function spawnMissing(r: unknown): boolean {
  const e = r as { code?: unknown; syscall?: unknown } | undefined;
  return e?.code === "ENOENT" && typeof e.syscall === "string" && e.syscall.startsWith("spawn");
}

/** execa of one of VM_PROGRAMS: as execa, but a program that is not installed fails with MissingProgram. */
export async function runProgram(name: string, args: string[], options: Options = {}): Promise<ExecaReturnValue> {
  const p = programNamed(name);
  let r: ExecaReturnValue;
  try {
    r = await execa(name, args, options);
  } catch (err) {
    throw spawnMissing(err) ? new MissingProgram(p) : err;
  }
  if (spawnMissing(r)) throw new MissingProgram(p); // reject: false resolves with the spawn's error
  return r;
}
