import assert from "node:assert/strict";
import { demuxed } from "../../lab/engine-api";

const frame = (stream: number, text: string) => {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

describe("demuxed: a container's log without Docker's frame headers", () => {
  it("joins the frames of stdout and stderr in their order", () => {
    const raw = Buffer.concat([frame(1, "starting\n"), frame(2, "mount: permission denied\n"), frame(1, "x".repeat(300) + "\n")]);
    assert.equal(demuxed(raw), `starting\nmount: permission denied\n${"x".repeat(300)}\n`);
  });

  it("takes a log without frames (a TTY's) as it is", () => {
    assert.equal(demuxed(Buffer.from("plain text\n")), "plain text\n");
    assert.equal(demuxed(Buffer.alloc(0)), "");
  });
});
