import assert from "node:assert/strict";
import { addressAt, contains, formatCidr, formatIPv4, maskOf, overlaps, parseCidr, parseIPv4 } from "../../lab/net";

describe("lab/net IPv4 helpers", () => {
  it("parseIPv4 and formatIPv4 round-trip dotted quads, including the extremes", () => {
    for (const text of ["0.0.0.0", "192.168.56.10", "255.255.255.255"]) {
      assert.equal(formatIPv4(parseIPv4(text)!), text);
    }
    assert.equal(parseIPv4("192.168.56.10"), 0xc0a8380a);
  });

  it("parseIPv4 rejects out-of-range octets, wrong part counts, leading zeros and junk", () => {
    for (const text of ["300.1.1.0", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.x", "", "1..2.3", " 1.2.3.4"]) {
      assert.equal(parseIPv4(text), undefined, text);
    }
  });

  it("maskOf covers /0, /24 and /32", () => {
    assert.equal(maskOf(0), 0);
    assert.equal(formatIPv4(maskOf(24)), "255.255.255.0");
    assert.equal(formatIPv4(maskOf(32)), "255.255.255.255");
  });

  it("parseCidr gives network, prefix and broadcast, keeping the written address apart", () => {
    const c = parseCidr("192.168.56.7/24")!;
    assert.equal(formatIPv4(c.address), "192.168.56.7");
    assert.equal(formatIPv4(c.network), "192.168.56.0");
    assert.equal(formatIPv4(c.broadcast), "192.168.56.255");
    assert.equal(c.prefix, 24);
    assert.equal(formatCidr(c), "192.168.56.0/24");
    assert.equal(formatIPv4(parseCidr("0.0.0.0/0")!.broadcast), "255.255.255.255");
  });

  it("parseCidr rejects a missing prefix, a prefix over 32 and a bad address", () => {
    for (const text of ["192.168.56.0", "192.168.56.0/33", "300.1.1.0/24", "192.168.56.0/", "192.168.56.0/024", "1.2.3.4/x"]) {
      assert.equal(parseCidr(text), undefined, text);
    }
  });

  it("contains and overlaps compare blocks by their address ranges", () => {
    const lab = parseCidr("192.168.56.0/24")!;
    assert.ok(contains(lab, parseIPv4("192.168.56.254")!));
    assert.ok(!contains(lab, parseIPv4("192.168.57.0")!));
    assert.ok(overlaps(parseCidr("172.18.0.0/16")!, parseCidr("172.16.0.0/12")!));
    assert.ok(overlaps(parseCidr("0.0.0.0/0")!, lab));
    assert.ok(!overlaps(lab, parseCidr("192.168.57.0/24")!));
  });

  it("addressAt offsets from a network and refuses to leave the IPv4 range", () => {
    assert.equal(formatIPv4(addressAt(parseIPv4("192.168.56.0")!, 10)), "192.168.56.10");
    assert.throws(() => addressAt(parseIPv4("255.255.255.255")!, 1), RangeError);
  });
});
