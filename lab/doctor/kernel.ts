// The kernel features the lab needs and those it can use, judged from the kernel's build options (its config) and
// from what the running kernel shows in use (/sys/module, /proc). The lab's machines are containers: they share
// this kernel, so what it lacks, they lack: the engine's machine's kernel (read there when it is not this machine,
// lab/engine-host.ts). Pure: facts in, findings out.
import type { KernelFacts } from "./kernel-read";
import { blocker, Finding, info, ok, warn } from "./finding";

/** One build option of the kernel. */
export interface KernelOption {
  /** Its Kconfig symbol, without CONFIG_. */
  symbol: string;
  /** The module it builds as (the modprobe name). */
  module: string;
  /** Whether the running kernel shows it in use, whatever the config says (or when there is no config). */
  seen(k: KernelFacts): boolean;
}

export interface Feature {
  check: string;
  /** Needed: without it up fails or the lab does not work (a blocker). Otherwise part of the tutorial is lost. */
  needed: boolean;
  options: KernelOption[];
  /** What the lab does with it. */
  uses: string;
  /** What happens without it. */
  without: string;
  /** Where else it can be had, besides another kernel. */
  elsewhere?: string;
}

/** The other way to a kernel that has it: VMs. */
const IN_VMS =
  "run the nodes as VMs with their own kernel (pulumi config set swarmlab:backend vagrant, after bash scripts/vm-host.sh and npm run box)";

const loadedModule = (name: string) => (k: KernelFacts) => k.sysModules.includes(name);

export const FEATURES: readonly Feature[] = [
  {
    check: "VXLAN",
    needed: true,
    options: [{ symbol: "VXLAN", module: "vxlan", seen: loadedModule("vxlan") }],
    uses: "Swarm's overlay networks (mynet, ingress) are VXLAN tunnels between the nodes",
    without: "Swarm cannot make its overlay networks (mynet, ingress): they are VXLAN tunnels between the nodes",
  },
  {
    check: "bridge",
    needed: true,
    options: [{ symbol: "BRIDGE", module: "bridge", seen: loadedModule("bridge") }],
    uses: "the lab network and the nodes' own Docker networks (docker0, docker_gwbridge) are Linux bridges",
    without: "Docker cannot make the lab network nor the nodes' own networks (docker0, docker_gwbridge): they are Linux bridges",
  },
  {
    check: "bridge netfilter",
    needed: true,
    options: [{ symbol: "BRIDGE_NETFILTER", module: "br_netfilter", seen: (k) => k.bridgeNfCallIptables !== undefined }],
    uses: "iptables sees the traffic inside bridges, so Docker's rules for its networks (isolation, Swarm's ingress) apply to it",
    without: "iptables does not see the traffic inside bridges, so Docker's rules for its networks (isolation, Swarm's ingress) do not apply to it",
  },
  {
    check: "overlay filesystem",
    // Without it the engines fall back to vfs: slow and large, but the lab works.
    needed: false,
    options: [{ symbol: "OVERLAY_FS", module: "overlay", seen: (k) => filesystemNames(k.filesystems).includes("overlay") }],
    uses: "the Docker engines (this machine's and the nodes') store images and containers with the overlay2 driver",
    without:
      "the Docker engines (this machine's and the nodes') have no overlay2 storage driver and fall back to vfs, which copies every image layer in full",
  },
  {
    check: "IPVS",
    needed: false,
    options: [{ symbol: "IP_VS", module: "ip_vs", seen: (k) => k.ipvs }],
    uses: "service VIPs and the ingress routing mesh (a published port answering on every node) are IPVS load balancers",
    without: "service VIPs and the ingress routing mesh will not work; tasks, mynet and pings between tasks still do",
    elsewhere: IN_VMS,
  },
  {
    check: "ESP/GCM",
    needed: false,
    options: [
      { symbol: "INET_ESP", module: "esp4", seen: loadedModule("esp4") },
      { symbol: "CRYPTO_GCM", module: "gcm", seen: (k) => loadedModule("gcm")(k) || cryptoNames(k.crypto).includes("gcm(aes)") },
    ],
    uses: "encrypted overlays (docker network create --opt encrypted) are IPsec ESP tunnels with AES-GCM",
    without: "encrypted overlays (docker network create --opt encrypted) cannot work on container nodes; the lab's mynet is not encrypted and works",
    elsewhere: IN_VMS,
  },
];

type OptionState = "built in" | "loaded" | "module" | "unloadable" | "absent" | "unknown";

/** The kernel line, then one finding per feature. `engineKernel`: the release the Docker engine reports, if any. */
export function kernelFindings(k: KernelFacts, engineKernel?: string): Finding[] {
  const config = k.config ? parseKernelConfig(k.config.text) : undefined;
  const source = k.config
    ? `options read from ${k.config.source}`
    : `no kernel config to read (/proc/config.gz, /boot/config-${k.release}): judged by what is loaded`;
  const elsewhere =
    engineKernel && engineKernel !== k.release
      ? `; the Docker engine runs on another kernel (${engineKernel}), and these checks read this machine's: run npm run doctor where the engine runs`
      : "";
  const machine = k.machine ? `kernel of ${k.machine}: ` : "";
  return [info("kernel", `${machine}Linux ${k.release}, ${source}${elsewhere}`), ...FEATURES.map((f) => featureFinding(f, k, config))];
}

/** What this kernel has of a feature, as data: the report words it (featureFinding), the program reads it as it is. */
export interface FeatureState {
  feature: Feature;
  /**
   * present: every option built in, loaded or loadable. absent: the config does not build one. unloadable: one is a
   * module with no /lib/modules to load it from. unknown: no config to read, and one is not loaded.
   */
  state: "present" | "absent" | "unloadable" | "unknown";
  /** What shows it, in a few words ("CONFIG_INET_ESP is not set in /proc/config.gz", "esp4 loaded; …"). */
  shownBy: string;
  /** The options that make the state what it is (all of them when present). */
  options: KernelOption[];
}

/** What this kernel has of the feature whose check is `check` ("ESP/GCM"): what the program asks before up. */
export function kernelFeature(k: KernelFacts, check: string): FeatureState {
  const feature = FEATURES.find((f) => f.check === check);
  if (!feature) throw new Error(`no kernel feature ${check}: ${FEATURES.map((f) => f.check).join(", ")} are`);
  return featureState(feature, k, k.config ? parseKernelConfig(k.config.text) : undefined);
}

function featureState(f: Feature, k: KernelFacts, config: Map<string, string> | undefined): FeatureState {
  const states = f.options.map((o) => ({ o, state: optionState(o, k, config) }));
  const inState = (s: OptionState) => states.filter((x) => x.state === s).map((x) => x.o);
  const absent = inState("absent");
  if (absent.length > 0) {
    const which = absent.map((o) => `CONFIG_${o.symbol} is not set`).join(", ");
    return { feature: f, state: "absent", shownBy: `${which} in ${k.config!.source}`, options: absent };
  }
  const unloadable = inState("unloadable");
  if (unloadable.length > 0) {
    return { feature: f, state: "unloadable", shownBy: unloadable.map((o) => `CONFIG_${o.symbol}=m`).join(", "), options: unloadable };
  }
  const unknown = inState("unknown");
  if (unknown.length > 0) {
    const modules = unknown.map((o) => o.module).join(" ");
    return { feature: f, state: "unknown", shownBy: `no kernel config to read, and ${modules} not loaded`, options: unknown };
  }
  const how = states.map(({ o, state }) =>
    state === "built in" ? `CONFIG_${o.symbol}=y` : state === "loaded" ? `${o.module} loaded` : `CONFIG_${o.symbol}=m, loaded when needed`,
  );
  return { feature: f, state: "present", shownBy: how.join("; "), options: f.options };
}

function featureFinding(f: Feature, k: KernelFacts, config: Map<string, string> | undefined): Finding {
  const { state, shownBy, options } = featureState(f, k, config);
  const problem = f.needed ? blocker : warn;
  const modules = options.map((o) => o.module).join(" ");
  switch (state) {
    case "absent": {
      const symbols = options.map((o) => `CONFIG_${o.symbol}`).join(" and ");
      const fix = `boot a kernel built with ${symbols} (=y or =m, as distribution kernels are: Debian's linux-image-amd64)${
        f.elsewhere ? `, or ${f.elsewhere}` : ""
      }: the lab's machines are containers and share this machine's kernel`;
      const lacking = `not in this kernel (${shownBy})`;
      return { ...problem(f.check, `${lacking}: ${f.without}`, fix), lacking };
    }
    case "unloadable": {
      const lacking = `built as a module (${shownBy}) that is not loaded, and there is no /lib/modules/${k.release} to load it from`;
      const fix = `install the running kernel's modules into /lib/modules/${k.release} (Debian: apt-get install linux-image-${k.release}), then modprobe ${modules}`;
      return { ...problem(f.check, `${lacking}: ${f.without}`, fix), lacking };
    }
    case "unknown": {
      const lacking = `cannot tell whether this kernel has it (${shownBy})`;
      const fix = `modprobe ${modules}, then npm run doctor again (if modprobe fails, this kernel has none)`;
      return { ...warn(f.check, `${lacking}; without it ${f.without}`, fix), lacking };
    }
    case "present":
      return ok(f.check, `present (${shownBy}): ${f.uses}`);
  }
}

function optionState(o: KernelOption, k: KernelFacts, config: Map<string, string> | undefined): OptionState {
  const value = config?.get(o.symbol);
  if (value === "y") return "built in";
  if (o.seen(k)) return "loaded";
  if (value === "m") return k.modulesDir ? "module" : "unloadable";
  // a readable config that does not build it: Kconfig writes "is not set", or nothing when the option cannot be chosen
  return config ? "absent" : "unknown";
}

/** A kernel config's options, without CONFIG_: "y", "m", a value, or "n" for "# CONFIG_X is not set". */
export function parseKernelConfig(text: string): Map<string, string> {
  const options = new Map<string, string>();
  for (const line of text.split("\n")) {
    const set = /^CONFIG_(\w+)=(.*)$/.exec(line);
    const unset = /^# CONFIG_(\w+) is not set$/.exec(line);
    if (set) options.set(set[1], set[2]);
    else if (unset) options.set(unset[1], "n");
  }
  return options;
}

/** The algorithms /proc/crypto lists, by name and by driver (gcm(aes), rfc4106(gcm(aes)), generic-gcm-aesni, …). */
export function cryptoNames(text: string): string[] {
  return [...text.matchAll(/^(?:name|driver)\s*:\s*(\S+)\s*$/gm)].map((m) => m[1]);
}

/** The file systems /proc/filesystems lists ("nodev\tsysfs", "\text4"). */
export function filesystemNames(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim().split(/\s+/).pop() ?? "")
    .filter(Boolean);
}
