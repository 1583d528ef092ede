#!/bin/sh
# mmdebstrap --customize-hook for the test guest. $1 is the rootfs (host side).
# Everything here must be deterministic given the hashed inputs (see image.mjs).
set -eu
here=$(dirname "$(readlink -f "$0")")
root=$1

echo tsmvm > "$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 tsmvm\n' > "$root/etc/hosts"
: > "$root/etc/fstab"
chroot "$root" passwd --delete root >/dev/null

# serial console: root autologin, for booting the image by hand
dropin=$root/etc/systemd/system/serial-getty@ttyS0.service.d
mkdir -p "$dropin"
printf '[Service]\nExecStart=\nExecStart=-/sbin/agetty --autologin root --noclear --keep-baud 115200,38400,9600 %%I $TERM\n' \
  > "$dropin/autologin.conf"

# volatile journal: nothing of one run survives into the next
mkdir -p "$root/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\n' > "$root/etc/systemd/journald.conf.d/volatile.conf"

# the runner
install -m 0755 "$here/tsm-runner" "$root/usr/local/sbin/tsm-runner"
install -m 0644 "$here/tsm-runner.service" "$root/etc/systemd/system/tsm-runner.service"
ln -sf /etc/systemd/system/tsm-runner.service "$root/etc/systemd/system/multi-user.target.wants/tsm-runner.service"

# The Debian cloud kernel: ext4, NVMe and the serial console are built in, so
# it boots without an initramfs; virtiofs, overlay and veth are modules.
# Unpacked with tar --keep-directory-symlink: `dpkg-deb -x` would replace the
# merged-/usr /lib symlink and break the image.
kpkg=$(chroot "$root" apt-cache depends linux-image-cloud-amd64 |
  sed -n 's/.*Depends: \(linux-image-[0-9][^ ]*\).*/\1/p' | head -1)
[ -n "$kpkg" ] || { echo "customize.sh: no linux-image-cloud-amd64 in the archive" >&2; exit 1; }
chroot "$root" sh -c "cd /tmp && apt-get download -q $kpkg"
dpkg-deb --fsys-tarfile "$root"/tmp/"${kpkg}"_*.deb | tar -x --keep-directory-symlink -C "$root"
rm -f "$root"/tmp/"${kpkg}"_*.deb
chroot "$root" depmod -a "${kpkg#linux-image-}"
