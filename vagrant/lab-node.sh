#!/bin/sh
# A swarmlab lab's machine (the Pulumi `vagrant` backend): its hostname, its lab address on the NIC with the MAC the
# Vagrantfile gave it (systemd-networkd), the lab's key for user vagrant, Docker running, busybox:latest loaded from
# the box. Last, its SSH host key, which the backend reads from Vagrant's output to check the lab's own SSH against.
set -eu
: "${SWARMLAB_HOSTNAME:?}" "${SWARMLAB_ADDRESS:?}" "${SWARMLAB_PREFIX:?}" "${SWARMLAB_MAC:?}" "${SWARMLAB_AUTHORIZED_KEY:?}"

# hostnamectl would wake systemd-hostnamed through D-Bus first: seconds under emulation, for the same two files.
echo "$SWARMLAB_HOSTNAME" >/etc/hostname
hostname "$SWARMLAB_HOSTNAME"
grep -q "[[:space:]]$SWARMLAB_HOSTNAME\$" /etc/hosts || echo "127.0.1.1 $SWARMLAB_HOSTNAME" >>/etc/hosts

cat >/etc/systemd/network/20-swarmlab-lab.network <<NET
# The lab network: a fixed address, nothing else (no DHCP, no IPv6, no route beyond the subnet).
[Match]
MACAddress=$SWARMLAB_MAC

[Network]
Address=$SWARMLAB_ADDRESS/$SWARMLAB_PREFIX
LinkLocalAddressing=no
IPv6AcceptRA=no
NET
networkctl reload
i=0
until ip -4 -o addr show | grep -q " inet $SWARMLAB_ADDRESS/"; do
  i=$((i + 1))
  [ "$i" -le 60 ] || { echo "swarmlab: $SWARMLAB_ADDRESS did not appear on the NIC $SWARMLAB_MAC in 60 s" >&2; ip -br link >&2; exit 1; }
  sleep 1
done

install -d -m 700 -o vagrant -g vagrant /home/vagrant/.ssh
touch /home/vagrant/.ssh/authorized_keys
grep -qxF "$SWARMLAB_AUTHORIZED_KEY" /home/vagrant/.ssh/authorized_keys ||
  echo "$SWARMLAB_AUTHORIZED_KEY" >>/home/vagrant/.ssh/authorized_keys
# Vagrant's insecure key (anyone has it) is no way in any more: Vagrant uses the lab's key from now on.
sed -i '/ vagrant insecure public key$/d' /home/vagrant/.ssh/authorized_keys
chown vagrant:vagrant /home/vagrant/.ssh/authorized_keys
chmod 600 /home/vagrant/.ssh/authorized_keys

systemctl start docker.service swarmlab-busybox.service
echo "swarmlab-host-key $(cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub)"
