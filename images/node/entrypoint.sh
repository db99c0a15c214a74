#!/bin/sh
# swarmlab-node entrypoint: per-node SSH host key and authorized key, the node's dockerd, then sshd.
# Files the lab may inject (putArchive) before the first start:
#   /etc/swarmlab/ssh_host_ed25519_key  private host key, OpenSSH format
#   /etc/swarmlab/authorized_keys       keys allowed to log in as vagrant
set -eu

KEY=/etc/ssh/ssh_host_ed25519_key
if [ -f /etc/swarmlab/ssh_host_ed25519_key ]; then
  install -m 0600 -o root -g root /etc/swarmlab/ssh_host_ed25519_key "$KEY"
  ssh-keygen -y -f "$KEY" > "$KEY.pub"
elif [ ! -f "$KEY" ]; then
  ssh-keygen -q -t ed25519 -N '' -C "$(hostname)" -f "$KEY"
fi
chmod 0644 "$KEY.pub"

install -d -m 0700 -o vagrant -g vagrant /home/vagrant/.ssh
if [ -f /etc/swarmlab/authorized_keys ]; then
  install -m 0600 -o vagrant -g vagrant /etc/swarmlab/authorized_keys /home/vagrant/.ssh/authorized_keys
fi

# /run is a tmpfs: recreate what sshd needs on every start.
mkdir -p /run/sshd
chmod 0755 /run/sshd

# The node has a cgroup namespace of its own, but a container that is not --privileged gets its cgroup mounts
# read-only: make them writable for the node's engine (it creates its tasks' cgroups there).
for dir in /sys/fs/cgroup /sys/fs/cgroup/*; do
  if mountpoint -q "$dir"; then mount -o remount,bind,rw "$dir"; fi
done
# cgroup v2 allows no processes in a cgroup that delegates controllers: move ours to a leaf first, as moby's dind does.
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 </sys/fs/cgroup/cgroup.procs >/sys/fs/cgroup/init/cgroup.procs 2>/dev/null || :
  sed -e 's/ / +/g' -e 's/^/+/' </sys/fs/cgroup/cgroup.controllers >/sys/fs/cgroup/cgroup.subtree_control || :
fi

/usr/local/bin/swarmlab-dockerd

exec /usr/sbin/sshd -D -e
