// One dynamic provider per kind of lab part (lab/parts/). Pulumi serialises these functions into the state and
// runs them in its provider process; they capture nothing but the part's kind. The project folder is found there
// at run time, so no path of this checkout lands in the state: a moved or cloned project keeps working.
import * as pulumi from "@pulumi/pulumi";
import type { PartKind } from "../lab/parts";

export { PROJECT_ROOT } from "../lab/project-root";

const providers = new Map<PartKind, pulumi.dynamic.ResourceProvider>();

/** One provider object per kind, so Pulumi serialises each only once. */
export function partProvider(kind: PartKind): pulumi.dynamic.ResourceProvider {
  if (!providers.has(kind)) providers.set(kind, makeProvider(kind));
  return providers.get(kind)!;
}

function makeProvider(kind: PartKind): pulumi.dynamic.ResourceProvider {
  const load = () => {
    const path = require("path");
    const fs = require("fs");
    // SWARMLAB_ROOT when npm run up / the suite set it; else the checkout that holds the provider's working folder,
    // which Pulumi sets to the project's (or one below it). A SWARMLAB_ROOT that is no checkout is refused in
    // lab/env.ts's words (checkSwarmlabRoot): this code is serialised and may import nothing, so it says them itself.
    const isCheckout = (dir: string) => ["runner.ts", "runner.js"].some((f) => fs.existsSync(path.join(dir, "lab", "parts", f)));
    let found: string | undefined = process.cwd();
    while (found && !isCheckout(found)) found = path.dirname(found) === found ? undefined : path.dirname(found);
    const given: string | undefined = process.env.SWARMLAB_ROOT || undefined;
    const problem =
      given === undefined
        ? found
          ? undefined
          : `the dynamic providers run in ${process.cwd()}, which is in no swarmlab checkout`
        : !path.isAbsolute(given)
          ? "a relative path: the dynamic providers run in another folder than the command"
          : !isCheckout(given)
            ? "not a swarmlab checkout (it has no lab/parts/runner.ts)"
            : undefined;
    if (problem) {
      const shown = given === undefined ? "(unset)" : JSON.stringify(given);
      const fix =
        given === undefined ? "export SWARMLAB_ROOT=<the swarmlab project's folder>" : `unset SWARMLAB_ROOT${found ? `, or set it to ${found}` : ""}`;
      throw new Error(`SWARMLAB_ROOT = ${shown}: ${problem}. Fix: ${fix}`);
    }
    const root: string = given ?? found!;
    // The lab's code compiled ahead (dist/, brought up to date first): no TypeScript compiler in this process
    const compiled = path.join(root, "scripts", "compiled.js");
    if (fs.existsSync(compiled)) return require(compiled).load(root, "lab/parts/runner").providerFor(kind, root);
    require(require.resolve("ts-node/register/transpile-only", { paths: [root] })); // a checkout without it
    return require(path.join(root, "lab", "parts", "runner")).providerFor(kind, root);
  };
  return {
    check: (olds, news) => load().check(olds, news),
    create: (inputs) => load().create(inputs),
    diff: (id, olds, news) => load().diff(id, olds, news),
    update: (id, olds, news) => load().update(id, olds, news),
    read: (id, props) => load().read(id, props),
    delete: (id, props) => load().delete(id, props),
  };
}
