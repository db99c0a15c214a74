// Entry point for `pulumi up` (Pulumi.yaml's main). npm run up runs the same program inline (scripts/lab.ts).
import { swarmlabProgram } from "./program";

export = swarmlabProgram;
