// One rule for a lab's name, wherever a name enters: the settings (swarmlab:name), `npm run clean <lab>`, labels read
// back from Docker or libvirt, a stack's state. A name prefixes container names, labels everything the lab makes and
// names the lab's folder, .swarmlab/<lab>/ — so a name must never reach the project's own files in that folder.

/** The project's own entries in .swarmlab/, beside the labs' folders: no lab may take these names. */
export const PROJECT_ENTRIES = Object.freeze({
  /** the passphrase that encrypts every stack's secrets (infra/passphrase.ts) */
  passphrase: "passphrase",
  /** every lab's collected diagnostics, .swarmlab/logs/<lab>/ (lab/inventory.ts) */
  logs: "logs",
});

export const LAB_NAME_RULE = "1-40 characters of a-z, 0-9 and '-', starting with a letter";
const LAB_NAME = /^[a-z][a-z0-9-]{0,39}$/;

/** What is wrong with a lab name, in words; undefined when it is one. */
export function labNameProblem(name: unknown): string | undefined {
  if (typeof name !== "string" || !LAB_NAME.test(name)) {
    return `a lab name is ${LAB_NAME_RULE} (it prefixes container names, labels everything the lab creates and names its folder .swarmlab/<lab>/)`;
  }
  if ((Object.values(PROJECT_ENTRIES) as string[]).includes(name)) {
    return `the project keeps its own .swarmlab/${name} beside the labs' folders (${Object.values(PROJECT_ENTRIES).join(", ")}): a lab of that name would overwrite or remove it`;
  }
  return undefined;
}

/** A name no lab can take, read from somewhere other than the settings (a label, the state, an argument). */
export class LabNameError extends Error {
  constructor(
    readonly name_: unknown,
    where: string,
  ) {
    super(`${JSON.stringify(name_) ?? String(name_)} (${where}) is not a lab's name: ${labNameProblem(name_)}; nothing was removed or made`);
    this.name = "LabNameError";
  }
}

/** The name, when it is a lab's; otherwise a LabNameError saying where it came from. */
export function checkedLabName(name: unknown, where: string): string {
  if (labNameProblem(name) !== undefined) throw new LabNameError(name, where);
  return name as string;
}
