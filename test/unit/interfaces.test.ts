import assert from "node:assert/strict";
import { interfaces, parseAddresses, parseLinks } from "../../lab/checks/interfaces";

// What busybox's `ip -o link` / `ip -o -4 addr` print inside a task (taken from a running lab).
const LINKS = `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
13: eth0@if14: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1450 qdisc noqueue \\    link/ether 02:42:0a:00:01:04 brd ff:ff:ff:ff:ff:ff
15: eth1@if16: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue \\    link/ether 02:42:ac:12:00:03 brd ff:ff:ff:ff:ff:ff
`;
const ADDRS = `1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
13: eth0    inet 10.0.1.4/24 brd 10.0.1.255 scope global eth0\\       valid_lft forever preferred_lft forever
15: eth1    inet 172.18.0.3/16 brd 172.18.255.255 scope global eth1\\       valid_lft forever preferred_lft forever
`;

describe("reading a task's interfaces from busybox ip output", function () {
  it("takes each link's MTU, without the @ifN peer suffix", function () {
    assert.deepEqual(
      [...parseLinks(LINKS)],
      [
        ["lo", 65536],
        ["eth0", 1450],
        ["eth1", 1500],
      ],
    );
  });

  it("takes each interface's first IPv4 address with its prefix", function () {
    assert.equal(parseAddresses(ADDRS).get("eth0"), "10.0.1.4/24");
    assert.equal(parseAddresses(ADDRS).get("eth1"), "172.18.0.3/16");
  });

  it("joins both into eth0 on 10.0.1.4/24 at MTU 1450 and eth1 on 172.18.0.3/16 at MTU 1500", function () {
    assert.deepEqual(
      interfaces(LINKS, ADDRS).filter((i) => i.name !== "lo"),
      [
        { name: "eth0", mtu: 1450, ipv4: "10.0.1.4/24" },
        { name: "eth1", mtu: 1500, ipv4: "172.18.0.3/16" },
      ],
    );
  });

  it("leaves the address empty for a link without IPv4", function () {
    assert.deepEqual(interfaces("7: eth2@if8: <UP> mtu 1500 qdisc noqueue\n", ""), [{ name: "eth2", mtu: 1500, ipv4: "" }]);
  });
});
