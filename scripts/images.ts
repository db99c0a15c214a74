// Make the docker backend's images on the local engine: npx ts-node scripts/images.ts
import Docker from "dockerode";
import { ensureImages } from "../lab/backends/docker/images";

ensureImages(new Docker(), (line) => console.log(line)).then(
  (refs) => console.log(JSON.stringify(refs)),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
