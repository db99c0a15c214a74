// The kernel facts of a machine, read through a MachineReader (lab/engine-host.ts): this machine's files directly,
// or the engine's machine's through its probe. The doctor's kernel checks (kernel.ts) and the program's ESP/GCM
// check (lab/host-checks.ts) read them here, the same way.
import zlib from "node:zlib";
import type { MachineReader } from "../engine-host";

/** Raw kernel facts; lab/doctor/kernel.ts reads them. */
export interface KernelFacts {
  /** uname -r */
  release: string;
  /** Which machine they were read on, when not this one ("the engine's machine vm (Linux 6.1.0)"). */
  machine?: string;
  /** The kernel's build options: /proc/config.gz, else /boot/config-<release>; undefined when neither is readable. */
  config?: { source: string; text: string };
  /** /lib/modules/<release> exists: options built as modules (=m) can be loaded. */
  modulesDir: boolean;
  /** The names in /sys/module: loaded modules, and built-in ones that have parameters. */
  sysModules: string[];
  /** /proc/filesystems */
  filesystems: string;
  /** /proc/crypto */
  crypto: string;
  /** /proc/net/ip_vs exists: IPVS is loaded. */
  ipvs: boolean;
  /** /proc/sys/net/bridge/bridge-nf-call-iptables ("1" or "0"); undefined when bridge netfilter is not loaded. */
  bridgeNfCallIptables?: string;
}

/** Reads the kernel facts; what cannot be read is recorded as missing, never an error. */
export async function readKernel(m: MachineReader): Promise<KernelFacts> {
  const release = m.release;
  const text = (file: string) => m.readFile(file).then((b) => b.toString("utf8"));
  const [config, modulesDir, sysModules, filesystems, crypto, ipvs, bridgeNf] = await Promise.all([
    readKernelConfig(m, release),
    m.exists(`/lib/modules/${release}`),
    m.readdir("/sys/module").catch(() => [] as string[]),
    text("/proc/filesystems").catch(() => ""),
    text("/proc/crypto").catch(() => ""),
    m.exists("/proc/net/ip_vs"),
    text("/proc/sys/net/bridge/bridge-nf-call-iptables").catch(() => undefined),
  ]);
  return { release, config, modulesDir, sysModules, filesystems, crypto, ipvs, bridgeNfCallIptables: bridgeNf?.trim() };
}

async function readKernelConfig(m: MachineReader, release: string): Promise<KernelFacts["config"]> {
  try {
    return { source: "/proc/config.gz", text: zlib.gunzipSync(await m.readFile("/proc/config.gz")).toString() };
  } catch {
    // not built with IKCONFIG_PROC: the distribution's copy, if any
  }
  const boot = `/boot/config-${release}`;
  return m.readFile(boot).then(
    (b) => ({ source: boot, text: b.toString("utf8") }),
    () => undefined,
  );
}
