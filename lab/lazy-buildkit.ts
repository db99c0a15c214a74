// dockerode requires its BuildKit session module (lib/session.js: gRPC and protobuf) when it loads, though only
// buildImage with { version: "2" } calls it: a quarter of a second of every command's start (measured on the dev
// machine), for builds swarmlab never makes. Imported before dockerode, this module stands in for that file until
// its first call, which loads the real one, so dockerode's API stays whole. A process that loaded dockerode already
// keeps what it has.
import Module from "node:module";

type WithSession = (...args: unknown[]) => unknown;

const file = require.resolve("dockerode/lib/session");
if (!require.cache[file]) {
  let real: WithSession | undefined;
  const standIn = new Module(file);
  standIn.filename = file;
  standIn.loaded = true;
  standIn.exports = function withSession(this: unknown, ...args: unknown[]) {
    if (!real) {
      delete require.cache[file];
      real = require(file) as WithSession;
    }
    return real.apply(this, args);
  };
  require.cache[file] = standIn;
}
