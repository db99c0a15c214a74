// For labs of VMs only: what this machine needs besides Docker (its upstream host is a container). Vagrant with the
// vagrant-libvirt plugin makes the VMs, libvirtd must answer on its system instance, QEMU and dnsmasq are what
// libvirtd runs, and the lab's box must be built. Every one missing is a blocker whose fix installs it
// (scripts/vm-host.sh); the programs and their words are programs.ts's, which the backend's own calls fail with.
// Reading is here too (as for /dev/kvm): it runs vagrant and virsh, so only for the vagrant backend (plugin.ts).
import { access, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa, ExecaReturnValue } from "./execa";
import { blocker, Finding, info, ok, warn } from "../../doctor/finding";
import { LIBVIRT_BOX } from "./names";
import { findProgram, missingSays, programNamed, VM_HOST_FIX, VM_PROGRAMS } from "./programs";
import { CODE_ROOT } from "./vagrant";
import { LIBVIRT_URI } from "./virsh";

export interface VmHostFacts {
  /** Where each of the vagrant backend's programs (VM_PROGRAMS) was found; undefined: nowhere. */
  found: Record<string, string | undefined>;
  /** `vagrant --version`'s line ("Vagrant 2.4.1"), or why it did not run; undefined without vagrant. */
  vagrant?: { version?: string; error?: string };
  /** `vagrant plugin list`'s output, or why it did not run; undefined without vagrant. */
  plugins?: { list?: string; error?: string };
  /** `virsh -c <uri> version`: the hypervisor it reports, or why it failed; undefined without virsh. */
  libvirt?: { uri: string; hypervisor?: string; error?: string };
  box: BoxFacts;
  /** The user's home folder: paths below it are shown as ~/…. */
  home: string;
}

/** The lab's box as the Vagrantfile looks for it (vagrant/settings.rb, libvirt_box_available?). */
export interface BoxFacts {
  name: string;
  /** $VAGRANT_HOME/boxes/<name>: the box registered with Vagrant. */
  registered: { path: string; present: boolean };
  /** $XDG_CACHE_HOME/swarmlab/box/<name>.box: built by scripts/box.sh, registered by the first vagrant up. */
  cached: { path: string; present: boolean };
  /** Another box set in vagrant/settings.yml (then the Vagrantfile uses that one). */
  setting?: string;
}

const ON_LIBVIRT = /Running hypervisor: (.*)/;
/** virsh's refusals of a user libvirt does not let in (polkit, the socket's group). */
const NOT_LET_IN = /permission denied|authentication (failed|unavailable)|access denied|not authorized/i;

/** Every finding about the VM host, in the report's order. `facts` undefined: they were not read. */
export function vmHostFindings(facts: VmHostFacts | undefined): Finding[] {
  if (!facts) return [warn("VM host", "not read: Vagrant, libvirt and QEMU were not looked for", "npm run doctor again")];
  const home = facts.home;
  const tilde = (file: string) => (home && file.startsWith(`${home}/`) ? `~${file.slice(home.length)}` : file);
  const missing = (name: string, check: string) => {
    const p = programNamed(name);
    return blocker(check, missingSays(p), p.fix);
  };
  const where = (name: string) => tilde(facts.found[name]!);
  const found: Finding[] = [];

  if (!facts.found.vagrant) {
    found.push(missing("vagrant", "Vagrant"));
    const says = "not installed: it is a plugin of Vagrant, which is missing (above)";
    found.push(blocker("vagrant-libvirt", says, VM_HOST_FIX));
  } else if (!facts.vagrant?.version) {
    const says = `${where("vagrant")} does not run (vagrant --version: ${facts.vagrant?.error ?? "no answer"})`;
    found.push(blocker("Vagrant", says, "sudo apt-get install --reinstall vagrant vagrant-libvirt"));
  } else {
    found.push(ok("Vagrant", `${facts.vagrant.version} (${where("vagrant")})`));
    found.push(pluginFinding(facts.plugins));
  }

  if (!facts.found.virsh) found.push(missing("virsh", "libvirt"));
  else found.push(libvirtFinding(facts.libvirt));

  const qemu = ["qemu-system-x86_64", "qemu-img"];
  for (const name of qemu) if (!facts.found[name]) found.push(missing(name, "QEMU"));
  if (qemu.every((name) => facts.found[name])) {
    found.push(ok("QEMU", qemu.map((name) => `${name} (${where(name)})`).join(", ")));
  }

  if (!facts.found.dnsmasq) found.push(missing("dnsmasq", "dnsmasq"));
  else found.push(ok("dnsmasq", `${where("dnsmasq")}: libvirtd's DHCP for Vagrant's management network`));

  // Present on every Debian: reported only when missing.
  for (const name of ["flock", "ip"]) if (!facts.found[name]) found.push(missing(name, name));

  found.push(boxFinding(facts.box, tilde));
  return found;
}

function pluginFinding(plugins: VmHostFacts["plugins"]): Finding {
  const check = "vagrant-libvirt";
  if (plugins?.list === undefined) {
    return blocker(
      check,
      `not checked: vagrant plugin list failed (${plugins?.error ?? "no answer"}), so vagrant up would too`,
      "sudo apt-get install --reinstall vagrant vagrant-libvirt " + "(a plugin installed with vagrant plugin install: vagrant plugin repair)",
    );
  }
  const version = /^vagrant-libvirt \(([^,)]+)(?:, (\w+))?/m.exec(plugins.list);
  if (version) {
    const kind = version[2] ? ` (${version[2]} plugin)` : "";
    return ok(check, `${version[1]}${kind}: Vagrant can make libvirt machines`);
  }
  const listed =
    plugins.list
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean)
      .join("; ") || "nothing";
  return blocker(
    check,
    `Vagrant has no vagrant-libvirt plugin (vagrant plugin list: ${listed}): ` + "the lab's VMs are libvirt machines, which Vagrant makes through it",
    VM_HOST_FIX,
  );
}

function libvirtFinding(libvirt: VmHostFacts["libvirt"]): Finding {
  const check = "libvirt";
  const uri = libvirt?.uri ?? LIBVIRT_URI;
  if (libvirt?.hypervisor) return ok(check, `libvirtd answers on ${uri}: ${libvirt.hypervisor}`);
  const error = libvirt?.error ?? "no answer";
  if (NOT_LET_IN.test(error)) {
    return blocker(
      check,
      `libvirtd does not let this user in on ${uri} (virsh version: ${error})`,
      'sudo usermod -aG libvirt "$USER", then log in again (or run as root)',
    );
  }
  return blocker(check, `libvirtd does not answer on ${uri} (virsh version: ${error})`, VM_HOST_FIX);
}

function boxFinding(box: BoxFacts, tilde: (file: string) => string): Finding {
  const check = "box";
  const [registered, cached] = [tilde(box.registered.path), tilde(box.cached.path)];
  if (box.setting) {
    return info(check, `vagrant/settings.yml sets box ${box.setting}: the Vagrantfile uses that one (not checked)`);
  }
  if (box.registered.present) return ok(check, `${box.name} is registered with Vagrant (${registered})`);
  if (box.cached.present) return ok(check, `${box.name} is built (${cached}): the first vagrant up registers it`);
  return blocker(
    check,
    `${box.name} is not built: neither registered with Vagrant (${registered}) nor in scripts/box.sh's cache ` +
      `(${cached}), and vagrant up would refuse to start`,
    "sudo npm run box (scripts/box.sh builds it, after sudo bash scripts/vm-host.sh)",
  );
}

/** How long vagrant (a Ruby program) and virsh may take to answer. */
const TOOL_TIMEOUT_MS = 30_000;

/** Reads what vmHostFindings judges. Never fails: what cannot be run is recorded with why. */
export async function readVmHost(env: NodeJS.ProcessEnv = process.env): Promise<VmHostFacts> {
  const found = Object.fromEntries(VM_PROGRAMS.map((p) => [p.name, findProgram(p, env.PATH ?? "")]));
  // Vagrant outside the project (its Vagrantfile is not loaded) and without asking HashiCorp's servers anything.
  const vagrantEnv = { ...env, VAGRANT_CHECKPOINT_DISABLE: "1", VAGRANT_CWD: os.tmpdir() };
  const options = { env: vagrantEnv, extendEnv: false, cwd: os.tmpdir(), reject: false, timeout: TOOL_TIMEOUT_MS };
  const vagrant = (args: string[]) => execa(found.vagrant!, args, options);
  const [version, plugins, libvirt, box] = await Promise.all([
    found.vagrant ? vagrant(["--version"]).then(answer) : undefined,
    found.vagrant ? vagrant(["plugin", "list"]).then(answer) : undefined,
    found.virsh ? execa(found.virsh, ["-c", LIBVIRT_URI, "version"], { reject: false, timeout: TOOL_TIMEOUT_MS }).then(answer) : undefined,
    readBox(env),
  ]);
  return {
    found,
    vagrant: version && { version: version.out?.split("\n")[0], error: version.error },
    plugins: plugins && { list: plugins.out, error: plugins.error },
    libvirt: libvirt && {
      uri: LIBVIRT_URI,
      hypervisor: libvirt.out && ON_LIBVIRT.exec(libvirt.out)?.[1],
      error: libvirt.error,
    },
    box,
    home: os.homedir(),
  };
}

/** A command's output when it succeeded, else its error in one line. */
function answer(r: ExecaReturnValue): { out?: string; error?: string } {
  if (r.exitCode === 0) return { out: r.stdout.trim() };
  const said = (r.stderr || r.stdout)
    .split("\n")
    .map((l) => l.replace(/^error: /, "").trim())
    .filter(Boolean)
    .join("; ");
  const why = r.timedOut ? `no answer in ${TOOL_TIMEOUT_MS / 1000} s` : said || `exit ${r.exitCode}`;
  return { error: why.replace(/\s+/g, " ").slice(0, 300) };
}

async function readBox(env: NodeJS.ProcessEnv): Promise<BoxFacts> {
  const vagrantHome = env.VAGRANT_HOME || path.join(os.homedir(), ".vagrant.d");
  const cache = env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  const registered = path.join(vagrantHome, "boxes", LIBVIRT_BOX);
  const cached = path.join(cache, "swarmlab", "box", `${LIBVIRT_BOX}.box`);
  const exists = (file: string) =>
    access(file).then(
      () => true,
      () => false,
    );
  const settings = await readFile(path.join(CODE_ROOT, "vagrant", "settings.yml"), "utf8").catch(() => "");
  const setting = /^box:\s*["']?([^"'\s#]+)/m.exec(settings)?.[1];
  return {
    name: LIBVIRT_BOX,
    registered: { path: registered, present: await exists(registered) },
    cached: { path: cached, present: await exists(cached) },
    ...(setting ? { setting } : {}),
  };
}
