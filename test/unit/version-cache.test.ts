import assert from "node:assert/strict";
import { mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { cachedVersion, defaultCacheFile } from "../../lab/doctor/version-cache";

describe("the doctor's version cache: a program asked its version once while it is the same file", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "swarmlab-versions-"));
  const program = path.join(dir, "pulumi");
  const cache = path.join(dir, "cache", "versions.json");
  let asked = 0;
  const ask = (answer: string | undefined) => async () => {
    asked += 1;
    return answer;
  };

  it("asks once, then answers from the cache; a changed file is asked again", async () => {
    writeFileSync(program, "v1");
    asked = 0;
    assert.equal(await cachedVersion(program, ask("v3.259.0"), cache), "v3.259.0");
    assert.equal(await cachedVersion(program, ask("never asked"), cache), "v3.259.0");
    assert.equal(asked, 1);
    writeFileSync(program, "v2, another build");
    utimesSync(program, new Date(), new Date(Date.now() + 5_000));
    assert.equal(await cachedVersion(program, ask("v3.260.0"), cache), "v3.260.0");
    assert.equal(asked, 2);
  });

  it("keeps no failed answer, and asks for a file that is not there", async () => {
    const other = path.join(dir, "broken");
    writeFileSync(other, "x");
    asked = 0;
    assert.equal(await cachedVersion(other, ask(undefined), cache), undefined);
    assert.equal(await cachedVersion(other, ask("v1.0.0"), cache), "v1.0.0");
    assert.equal(await cachedVersion(path.join(dir, "missing"), ask(undefined), cache), undefined);
    assert.equal(asked, 3);
  });

  it("a cache file that is not JSON is a miss, and is written whole again", async () => {
    writeFileSync(cache, "{not json");
    asked = 0;
    assert.equal(await cachedVersion(program, ask("v3.260.0"), cache), "v3.260.0");
    assert.equal(await cachedVersion(program, ask("never asked"), cache), "v3.260.0");
    assert.equal(asked, 1);
  });

  it("lives in SWARMLAB_CACHE, else XDG_CACHE_HOME/swarmlab, else ~/.cache/swarmlab", () => {
    assert.equal(defaultCacheFile({ SWARMLAB_CACHE: "/c" }), "/c/versions.json");
    assert.equal(defaultCacheFile({ XDG_CACHE_HOME: "/x" }), "/x/swarmlab/versions.json");
    assert.equal(defaultCacheFile({}), path.join(os.homedir(), ".cache", "swarmlab", "versions.json"));
  });
});
