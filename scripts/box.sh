#!/usr/bin/env bash
# `npm run box`: builds the libvirt Vagrant box of the lab's machines, "swarmlab-debian13", from Debian 13 (trixie)
# packages only, and registers it with Vagrant. Nothing is downloaded but Debian's packages.
#
#   rootfs   debootstrap (minbase), then apt-get of the packages below inside it; images/box/ copied over it
#   identity user vagrant (sudo, docker) with Vagrant's insecure public key; an empty machine-id and no SSH host
#            keys, so that every VM made from the box gets its own at first boot
#   busybox  busybox:latest as a `docker load` archive, made from busybox-static and loaded at first boot
#   disk     MBR: a FAT boot partition with syslinux, Debian's kernel and initrd, and the ext4 root (`mke2fs -d`);
#            raw → qcow2. The disk boots by itself: no kernel on the host side, any user's libvirt can run it
#   box      box.img + metadata.json + the recipe hash, tar → `vagrant box add --force`
#
# Cached in ~/.cache/swarmlab/box/<recipe hash>/ (the hash of this script, images/box/ and Vagrant's key):
# rebuilt only when the recipe changes (or with SWARMLAB_BOX_REBUILD=1). Debian's .debs are kept in
# ~/.cache/swarmlab/box/debs/ for the next build. Needs root (debootstrap, chroot) and scripts/vm-host.sh's packages.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/clock.sh

BOX_NAME=swarmlab-debian13
RELEASE=trixie
MIRROR=http://deb.debian.org/debian
DISK_GIB=8     # the VM's disk; the qcow2 and each VM's overlay only hold what is written
BOOT_MIB=128   # FAT boot partition: kernel and initrd
PACKAGES=(
  systemd systemd-sysv udev dbus       # init; dbus for hostnamectl (Vagrant sets the hostname with it)
  linux-image-cloud-amd64 initramfs-tools
  openssh-server sudo                  # Vagrant's way in
  docker.io docker-cli                 # Docker 26 (the CLI is its own package since trixie)
  apparmor                             # Debian's kernel enables AppArmor: dockerd needs apparmor_parser for tasks
  ipvsadm kmod                         # Swarm's VIPs and routing mesh (IPVS) and a look at them
  ifupdown iproute2 iputils-ping tcpdump
  busybox-static                       # busybox:latest for the tutorial's service
)
CACHE_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/swarmlab/box
VAGRANT_HOME=${VAGRANT_HOME:-$HOME/.vagrant.d}
export VAGRANT_CHECKPOINT_DISABLE=1 # Vagrant asks no server for its newest version
export VAGRANT_BOX_UPDATE_CHECK_DISABLE=1

t_start=$(now_ms)
t_phase=$t_start
phase() {
  local now
  now=$(now_ms)
  if [ -n "${current_phase:-}" ]; then echo "box: ${current_phase} done in $(duration $(( now - t_phase )))"; fi
  current_phase=$1
  t_phase=$now
  [ -n "$1" ] && echo "== box: $1"
  return 0
}
die() { echo "box: $*" >&2; exit 1; }

phase "checking the host"
[ "$(id -u)" = 0 ] || die "debootstrap and chroot need root: run 'sudo npm run box' (or as root)"
# Vagrant's insecure public key, as Debian's vagrant package ships it.
vagrant_key=$(ls /usr/share/rubygems-integration/all/gems/vagrant-*/keys/vagrant.pub 2>/dev/null | head -n 1 || true)
missing=()
for tool in debootstrap mke2fs sfdisk mkfs.vfat mcopy syslinux qemu-img vagrant virsh; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ -f /usr/lib/syslinux/mbr/mbr.bin ] || missing+=("syslinux-common (mbr.bin)")
[ -n "$vagrant_key" ] || missing+=("vagrant (its keys/vagrant.pub)")
[ ${#missing[@]} -eq 0 ] || die "missing ${missing[*]}: run 'bash scripts/vm-host.sh' (installs Debian's packages)"

# The recipe: this script, every file of images/box/ (path, mode, content) and the key put into the box.
recipe=$(
  {
    sha256sum scripts/box.sh "$vagrant_key" | cut -d' ' -f1
    (cd images/box && find . -type f -printf '%p %m\n' | LC_ALL=C sort | while read -r file mode; do
      echo "$file $mode $(sha256sum "$file" | cut -d' ' -f1)"
    done)
  } | sha256sum | cut -c1-16
)
echo "box: recipe $recipe"
box_dir=$CACHE_ROOT/$recipe
box_file=$box_dir/$BOX_NAME.box
registered=$VAGRANT_HOME/boxes/$BOX_NAME/0/libvirt/swarmlab-recipe

if [ "${SWARMLAB_BOX_REBUILD:-}" != 1 ] && [ -f "$registered" ] && [ "$(cat "$registered")" = "$recipe" ]; then
  phase ""
  echo "box: $BOX_NAME (recipe $recipe) is registered with Vagrant: nothing to do ($(duration $(( $(now_ms) - t_start ))))"
  exit 0
fi

if [ "${SWARMLAB_BOX_REBUILD:-}" = 1 ] || [ ! -f "$box_file" ]; then
  work=$box_dir/work
  rootfs=$work/rootfs
  debs=$CACHE_ROOT/debs
  mkdir -p "$debs/partial"

  # Mounts inside the rootfs live only while this script does; never remove a tree that still has one.
  unmount_all() {
    local m
    for m in var/cache/apt/archives dev/pts dev sys proc; do
      if mountpoint -q "$rootfs/$m" 2>/dev/null; then umount "$rootfs/$m" || umount -l "$rootfs/$m"; fi
    done
  }
  trap unmount_all EXIT
  if [ -d "$work" ]; then
    unmount_all
    if findmnt -rn -o TARGET | grep -q "^$work/"; then die "something is still mounted under $work: unmount it first"; fi
    rm -rf "$work"
  fi
  mkdir -p "$rootfs"

  phase "debootstrap $RELEASE (minbase)"
  debootstrap --variant=minbase --cache-dir="$debs" "$RELEASE" "$rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 20 "$work/debootstrap.log" >&2; die "debootstrap failed (log: $work/debootstrap.log)"; }

  phase "packages: ${PACKAGES[*]}"
  # No service may start inside the build's chroot (docker.io's postinst would start dockerd).
  printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
  chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
  # images/box/ first: the initramfs must be made with its settings (virtio modules) by the kernel's postinst.
  cp -a images/box/. "$rootfs/"
  cp /etc/resolv.conf "$rootfs/etc/resolv.conf" # apt inside the chroot reaches Debian's mirror; restored below
  mount -t proc proc "$rootfs/proc"
  mount -t sysfs sys "$rootfs/sys"
  # A /dev of its own, not the host's: packages' scripts in the chroot set the owner of device nodes by the
  # chroot's groups (measured: the host's /dev/kvm became group 993, the chroot's kvm, after which libvirtd probed
  # QEMU again on every call and the VMs crawled).
  mount -t tmpfs -o mode=0755,size=1m dev "$rootfs/dev"
  for node in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
    IFS=: read -r name major minor <<<"$node"
    mknod -m 0666 "$rootfs/dev/$name" c "$major" "$minor"
  done
  mkdir "$rootfs/dev/pts"
  mount -t devpts -o newinstance,ptmxmode=0666 devpts "$rootfs/dev/pts"
  ln -s pts/ptmx "$rootfs/dev/ptmx"
  mount --bind "$debs" "$rootfs/var/cache/apt/archives"
  in_root() { chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }
  in_root apt-get update -q >"$work/apt.log" 2>&1 ||
    { tail -n 20 "$work/apt.log" >&2; die "apt-get update failed (log: $work/apt.log)"; }
  # systemd-networkd may be a package of its own (split out of systemd in newer releases).
  extra=()
  if in_root apt-cache show systemd-networkd >/dev/null 2>&1; then extra+=(systemd-networkd); fi
  in_root apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" "${extra[@]}" >>"$work/apt.log" 2>&1 ||
    { tail -n 20 "$work/apt.log" >&2; die "apt-get install failed (log: $work/apt.log)"; }
  kernel_version=$(cd "$rootfs/lib/modules" && ls | sort -V | tail -n 1)
  echo "box: kernel $kernel_version, docker $(in_root dpkg-query -W -f='${Version}' docker.io)"

  phase "configuring: user vagrant, services, first-boot identity"
  in_root useradd --create-home --shell /bin/bash --groups sudo,docker vagrant
  in_root usermod --password '*' vagrant # no password works, yet sshd does not treat the account as locked
  install -d -m 0700 -o 1000 -g 1000 "$rootfs/home/vagrant/.ssh"
  install -m 0600 -o 1000 -g 1000 "$vagrant_key" "$rootfs/home/vagrant/.ssh/authorized_keys"
  [ "$(in_root id -u vagrant)" = 1000 ] || die "user vagrant did not get uid 1000"
  chmod 0440 "$rootfs/etc/sudoers.d/vagrant"
  in_root systemctl enable systemd-networkd.service ssh.service docker.service \
    swarmlab-ssh-hostkeys.service swarmlab-busybox.service >/dev/null 2>&1
  # What only costs boot time in a short-lived lab VM under emulation: periodic jobs; ipvsadm's rule restore (no
  # saved rules: Swarm makes its own); ifupdown's boot-time `ifup -a` (only lo is in /etc/network/interfaces,
  # which systemd brings up itself; Vagrant configures the lab network through systemd-networkd, which runs).
  # And apparmor.service: it compiles ~100 profiles of desktop programs at every first boot (31 s of a VM's 2 min
  # under emulation, before sshd and dockerd); dockerd loads the one its tasks need (docker-default) by itself.
  for unit in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer fstrim.timer \
    ipvsadm.service networking.service apparmor.service; do
    in_root systemctl disable "$unit" >/dev/null 2>&1 || true
  done
  # Identity: systemd makes a machine-id at first boot (from the VM's UUID), ssh host keys are made then too.
  : >"$rootfs/etc/machine-id"
  rm -f "$rootfs/var/lib/dbus/machine-id" "$rootfs"/etc/ssh/ssh_host_*
  cp images/box/etc/resolv.conf "$rootfs/etc/resolv.conf"

  phase "busybox:latest (docker load archive from busybox-static)"
  bb=$work/busybox
  mkdir -p "$bb/root/bin" "$bb/root/tmp" "$bb/image"
  cp "$rootfs/bin/busybox" "$bb/root/bin/busybox"
  "$bb/root/bin/busybox" --list-full | while read -r applet; do
    [ "$applet" = bin/busybox ] && continue
    mkdir -p "$bb/root/$(dirname "$applet")"
    ln -sf /bin/busybox "$bb/root/$applet"
  done
  chmod 1777 "$bb/root/tmp"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$bb/root" -cf "$bb/layer.tar" .
  layer=$(sha256sum "$bb/layer.tar" | cut -d' ' -f1)
  mkdir -p "$bb/image/$layer"
  mv "$bb/layer.tar" "$bb/image/$layer/layer.tar"
  printf '%s' '{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z",'\
'"config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]},'\
'"rootfs":{"type":"layers","diff_ids":["sha256:'"$layer"'"]},'\
'"history":[{"created":"1970-01-01T00:00:00Z","created_by":"swarmlab box: busybox-static"}]}' >"$bb/config.json"
  config=$(sha256sum "$bb/config.json" | cut -d' ' -f1)
  mv "$bb/config.json" "$bb/image/$config.json"
  printf '[{"Config":"%s.json","RepoTags":["busybox:latest"],"Layers":["%s/layer.tar"]}]' "$config" "$layer" \
    >"$bb/image/manifest.json"
  install -d "$rootfs/usr/share/swarmlab"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$bb/image" -cf "$rootfs/usr/share/swarmlab/busybox.tar" .
  echo "box: busybox $("$bb/root/bin/busybox" | head -n 1 | cut -d' ' -f2), image sha256:${config:0:12}"

  phase "cleaning the rootfs"
  unmount_all
  rm -f "$rootfs/usr/sbin/policy-rc.d"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/log/apt/* \
    "$rootfs"/var/log/dpkg.log "$rootfs"/var/log/alternatives.log "$rootfs"/tmp/* "$rootfs"/root/.bash_history
  echo "box: rootfs $(du -sh "$rootfs" | cut -f1)"

  phase "disk: syslinux boot partition + ext4 root (mke2fs -d), raw → qcow2"
  kernel=$(ls "$rootfs"/boot/vmlinuz-* | sort -V | tail -n 1)
  initrd=$(ls "$rootfs"/boot/initrd.img-* | sort -V | tail -n 1)
  cat >"$work/syslinux.cfg" <<EOF
DEFAULT swarmlab
PROMPT 0
TIMEOUT 0
LABEL swarmlab
  LINUX /vmlinuz
  INITRD /initrd.img
  APPEND root=LABEL=swarmlab-root rw console=ttyS0,115200 net.ifnames=0 biosdevname=0 quiet
EOF
  boot_start=2048                                  # sectors: 1 MiB for the MBR
  boot_sectors=$(( BOOT_MIB * 2048 ))
  root_start=$(( boot_start + boot_sectors ))
  disk=$work/disk.raw
  rm -f "$disk"
  truncate -s "${DISK_GIB}G" "$disk"
  printf 'label: dos\nstart=%d, size=%d, type=c, bootable\nstart=%d, type=83\n' \
    "$boot_start" "$boot_sectors" "$root_start" | sfdisk --quiet "$disk"
  dd if=/usr/lib/syslinux/mbr/mbr.bin of="$disk" bs=440 count=1 conv=notrunc status=none
  # The boot partition: FAT, filled and made bootable with mtools (no mount).
  mkfs.vfat -n SWARMBOOT -C "$work/boot.fat" $(( BOOT_MIB * 1024 )) >/dev/null
  MTOOLS_SKIP_CHECK=1 mcopy -i "$work/boot.fat" "$kernel" ::/vmlinuz
  MTOOLS_SKIP_CHECK=1 mcopy -i "$work/boot.fat" "$initrd" ::/initrd.img
  MTOOLS_SKIP_CHECK=1 mcopy -i "$work/boot.fat" "$work/syslinux.cfg" ::/syslinux.cfg
  syslinux --install "$work/boot.fat"
  dd if="$work/boot.fat" of="$disk" bs=512 seek="$boot_start" conv=notrunc status=none
  # The root file system, written straight into its partition.
  root_bytes=$(( (DISK_GIB * 1024 * 2048 - root_start) * 512 ))
  mke2fs -q -F -t ext4 -L swarmlab-root -d "$rootfs" -E offset=$(( root_start * 512 )) \
    "$disk" "$(( root_bytes / 1024 ))k"
  qemu-img convert -O qcow2 "$disk" "$work/box.img"
  echo "box: box.img $(du -h "$work/box.img" | cut -f1) (virtual ${DISK_GIB} GiB)"

  phase "packing $BOX_NAME.box"
  printf '{"provider":"libvirt","format":"qcow2","virtual_size":%d}\n' "$DISK_GIB" >"$work/metadata.json"
  echo "$recipe" >"$work/swarmlab-recipe"
  tar -C "$work" -cf "$box_file.part" metadata.json box.img swarmlab-recipe
  mv "$box_file.part" "$box_file"
  rm -rf "$work"
  trap - EXIT
  # Only the newest recipe's box is kept (and the .debs).
  for old in "$CACHE_ROOT"/*/; do
    case "$(basename "$old")" in "$recipe" | debs) ;; *) echo "box: removing the older recipe's $old"; rm -rf "$old" ;; esac
  done
else
  echo "box: $box_file is cached (recipe $recipe): no build"
fi
ln -sfn "$recipe/$BOX_NAME.box" "$CACHE_ROOT/$BOX_NAME.box" # the Vagrantfile's box_url

phase "vagrant box add $BOX_NAME"
# vagrant-libvirt uploads a box into the storage pool once per box file, as a volume
# <box>_vagrant_box_image_0_<box timestamp>_box.img: the old box's copy would stay there for good. Delete it when no
# VM disk is made from it (a VM still using it keeps it: `vagrant destroy -f` first, then run this again).
for pool in $(virsh -q pool-list --all --name 2>/dev/null); do
  vols=$(virsh -q vol-list "$pool" 2>/dev/null | awk '{print $1}')
  for volume in $vols; do
    case "$volume" in "${BOX_NAME}"_vagrant_box_image_0_*) ;; *) continue ;; esac
    path=$(virsh vol-path "$volume" --pool "$pool")
    users=()
    for vol in $vols; do
      [ "$vol" = "$volume" ] && continue
      virsh vol-dumpxml "$vol" --pool "$pool" 2>/dev/null | grep -q "<path>$path</path>" && users+=("$vol")
    done
    if [ ${#users[@]} -gt 0 ]; then
      echo "box: keeping the old box's volume $volume in pool $pool: VM disks are made from it (${users[*]})"
    else
      echo "box: deleting the old box's volume $volume from pool $pool"
      virsh -q vol-delete "$volume" --pool "$pool"
    fi
  done
done
vagrant box add --force --name "$BOX_NAME" "$box_file"
phase ""
echo "box: $BOX_NAME ready (recipe $recipe) in $(duration $(( $(now_ms) - t_start )))"
