#!/usr/bin/env bash
# What this machine needs to build the lab's Vagrant box and run it under libvirt (QEMU): Debian's packages, and
# the virtlogd and libvirtd daemons running. Idempotent: each step does nothing when already done.
# It defines no libvirt network: the Vagrantfile asks for isolated ones only (nothing routes off this machine).
set -euo pipefail

packages=(
  qemu-system-x86 qemu-utils                       # the VMs (QEMU: KVM where it works, software emulation else)
  libvirt-daemon-system libvirt-daemon-driver-qemu # libvirtd, which vagrant-libvirt drives
  libvirt-clients                                  # virsh, for looking at what is left
  vagrant vagrant-libvirt ruby                     # the Vagrantfile and its provider
  dnsmasq-base                                     # DHCP on libvirt's networks (the management network)
  debootstrap e2fsprogs                            # the box: a Debian rootfs and its ext4 file system
  fdisk dosfstools mtools syslinux syslinux-common # its boot partition, made without mounting anything
)

if [ "$(id -u)" != 0 ]; then
  missing=()
  for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "vm-host: missing packages and not root: sudo apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  echo "vm-host: not root: the daemons are left as they are (libvirtd must answer on qemu:///system)"
  exit 0
fi
if [ ! -f /etc/debian_version ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "vm-host: this is not a Debian-like machine: install QEMU, libvirt, Vagrant with vagrant-libvirt," >&2
  echo "  debootstrap, e2fsprogs, sfdisk, mtools and syslinux yourself, then start libvirtd." >&2
  exit 1
fi

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "vm-host: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # No recommends: they would bring a kernel, a mail server and a desktop's worth of libraries.
  if ! apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
else
  echo "vm-host: packages installed (nothing to do)"
fi

# libvirt's "default" network (libvirt-daemon-config-network, a dependency of libvirt-daemon-system) NATs to the
# outside world: never let it start by itself. Its definition stays (the package owns it); nothing here starts it.
if [ -e /etc/libvirt/qemu/networks/autostart/default.xml ]; then
  echo "vm-host: disabling the autostart of libvirt's NAT network 'default'"
  rm -f /etc/libvirt/qemu/networks/autostart/default.xml
fi

# /dev/kvm as udev's rule for it would leave it (root:kvm 0660) on hosts without udev. libvirtd checks KVM as its
# QEMU user (libvirt-qemu, group kvm) but probes QEMU as root: when only root can open /dev/kvm, its capability
# cache never matches and it probes QEMU again on every call (measured: a QEMU start every second during
# `vagrant up`, most of a CPU taken from the VMs).
if [ -c /dev/kvm ] && getent group kvm >/dev/null && [ "$(stat -c '%G %a' /dev/kvm)" != "kvm 660" ]; then
  echo "vm-host: /dev/kvm: group kvm, mode 0660 (was $(stat -c '%G %a' /dev/kvm))"
  chgrp kvm /dev/kvm
  chmod 0660 /dev/kvm
fi

# The daemons: under systemd, its units; elsewhere (containers, our CI machines) nothing starts them.
alive() { [ -f "$1" ] && kill -0 "$(cat "$1" 2>/dev/null)" 2>/dev/null; }
if [ -d /run/systemd/system ]; then
  systemctl start virtlogd.socket libvirtd.service
else
  if alive /run/virtlogd.pid; then echo "vm-host: virtlogd running"; else echo "vm-host: starting virtlogd"; virtlogd -d; fi
  if alive /run/libvirtd.pid; then echo "vm-host: libvirtd running"; else echo "vm-host: starting libvirtd"; libvirtd -d; fi
fi

for _ in $(seq 1 50); do
  virsh -c qemu:///system version >/dev/null 2>&1 && break
  sleep 0.2
done
if ! virsh -c qemu:///system version >/dev/null 2>&1; then
  echo "vm-host: libvirtd does not answer on qemu:///system" >&2
  exit 1
fi

# KVM or software emulation: the Vagrantfile reads SWARMLAB_LIBVIRT_DRIVER, else probes /dev/kvm itself.
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then kvm="present (the Vagrantfile checks that it can run a guest)"; else kvm="absent"; fi
echo "vm-host: libvirt $(virsh -c qemu:///system version 2>/dev/null | sed -n 's/^Running hypervisor: //p'), /dev/kvm $kvm"
