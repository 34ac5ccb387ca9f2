#!/usr/bin/env bash
# Build (or reuse) the Debian bookworm root file system that tests/packaging/test_systemd_live.py boots
# with `systemd-nspawn --boot`. Runs as root. The tree lives OUTSIDE the repository so CI can
# reuse it between runs:
#
#   packaging/nspawn/build-rootfs.sh [DIR]     (default /var/cache/binance-healthcheck/nspawn-rootfs)
#
# Reuse: DIR/.bhc-rootfs-stamp holds the package list it was built with; a matching stamp means
# "already built" and the script exits at once. A build goes to DIR.tmp-<pid> and is renamed into
# place only when debootstrap succeeded, so an interrupted build never leaves a half tree at DIR.
# Needs: debootstrap (apt package `debootstrap`) and access to the Debian mirror.
# Exit codes: 0 built or reused; 1 build failed; 2 not root or debootstrap missing.
set -euo pipefail

DIR=${1:-/var/cache/binance-healthcheck/nspawn-rootfs}
MIRROR=${BHC_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# systemd as PID 1; dbus for systemctl/systemd-analyze over the bus; procps for /bin/kill
# (the unit's ExecReload=); python3-venv for the README's venv; sudo because the README's
# commands start with it.
PACKAGES=systemd,systemd-sysv,dbus,procps,python3,python3-venv,sudo
STAMP="bookworm minbase $PACKAGES v2"

if [ "$(id -u)" != 0 ]; then echo "build-rootfs: must run as root" >&2; exit 2; fi
mkdir -p "$(dirname "$DIR")"
# one build at a time; a second caller waits and then reuses the result
exec 9>"$DIR.lock"
flock 9
if [ -f "$DIR/.bhc-rootfs-stamp" ] && [ "$(cat "$DIR/.bhc-rootfs-stamp")" = "$STAMP" ]; then
    echo "build-rootfs: reusing $DIR"
    exit 0
fi
if ! command -v debootstrap >/dev/null; then
    echo "build-rootfs: debootstrap not installed (apt-get install debootstrap)" >&2; exit 2
fi

TMP="$DIR.tmp-$$"
trap 'rm -rf -- "$TMP"' EXIT
echo "build-rootfs: debootstrap bookworm into $TMP (about 1-2 minutes)"
debootstrap --variant=minbase --include="$PACKAGES" bookworm "$TMP" "$MIRROR" >"$TMP.log" 2>&1 \
    || { tail -20 "$TMP.log" >&2; rm -f -- "$TMP.log"; exit 1; }
rm -f -- "$TMP.log"
# Its own resolvable host name (debootstrap copies the build host's, which sudo then cannot
# resolve inside).
echo bhc-nspawn >"$TMP/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tbhc-nspawn\n::1\tlocalhost ip6-localhost\n' >"$TMP/etc/hosts"
# A machine id makes journald keep a persistent journal directory; no getty on the console.
rm -f "$TMP/etc/machine-id"
systemd-machine-id-setup --root="$TMP" >/dev/null 2>&1
ln -sf /dev/null "$TMP/etc/systemd/system/console-getty.service"
ln -sf /dev/null "$TMP/etc/systemd/system/getty@tty1.service"
rm -f "$TMP"/var/cache/apt/archives/*.deb
echo "$STAMP" >"$TMP/.bhc-rootfs-stamp"
rm -rf -- "$DIR"
mv -- "$TMP" "$DIR"
trap - EXIT
echo "build-rootfs: built $DIR"
