// Stacks made by swarmlab 0.1 recorded dynamic providers that load this file by its path. Their parts are gone
// from today's program: refresh reports them gone, and deleting them does nothing here — what they made carries
// no owner label, so up refuses it until `npm run clean <lab>` (or `npm run down` of that stack) sweeps it.
const legacy = {
  async create(): Promise<never> {
    throw new Error("this part was made by an older swarmlab: run npm run down, then npm run up");
  },
  async delete(): Promise<void> {},
  async exists(): Promise<boolean> {
    return false;
  },
};

export const handlers: Record<string, typeof legacy> = new Proxy({}, { get: () => legacy });
