#!/bin/sh
# Docker for user vagrant, from the distribution's packages: the tutorial's boxes need it installed (they reach
# the internet); the lab's own box (npm run box) has it already, and then this changes nothing.
set -eu
if ! command -v docker >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q docker.io
fi
getent group docker >/dev/null || groupadd --system docker
id -nG vagrant | tr ' ' '\n' | grep -qx docker || usermod -aG docker vagrant
# `systemctl enable` also syncs Debian's SysV script of docker (a Perl run: seconds under emulation): only when needed.
systemctl is-enabled --quiet docker.service || systemctl enable docker.service
systemctl start docker.service
echo "$(hostname): $(docker --version)"
