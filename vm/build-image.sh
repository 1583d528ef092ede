#!/bin/bash
# Build the test guest into OUT_DIR (which must not exist yet):
#   OUT_DIR/root.img  raw ext4 root file system (booted with snapshot=on)
#   OUT_DIR/vmlinuz   the Debian cloud kernel, booted directly (no initramfs)
#   OUT_DIR/kver      its version
# Usage: build-image.sh OUT_DIR NODE_BINARY
# Called by image.mjs, which owns caching; runs as root (mmdebstrap, chroot).
set -euo pipefail
out=$1 node_bin=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$out/rootfs

packages=$(sed -e 's/#.*//' "$here/packages.txt" | tr -s ' \n' ',' | sed 's/^,//; s/,$//')

# The host's own archive configuration (a deb822 file if there is one), so the
# guest comes from wherever this machine gets its packages.
sources=$(grep -l -E '^Suites:.*\bbookworm\b' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 || true)
[ -n "$sources" ] || sources=/etc/apt/sources.list

mkdir -p "$out"
mmdebstrap --variant=minbase --include="$packages" \
  --aptopt='Acquire::Check-Valid-Until "false"' \
  --customize-hook="$here/guest/customize.sh" \
  bookworm "$root" "$sources"

# After mmdebstrap, which empties machine-id: a fixed id means no first-boot
# logic and the same id on every boot.
echo 7e57a11c0ffee0000000000000000001 > "$root/etc/machine-id"
# The host's node: same Debian 12 glibc, and Debian's nodejs starts ~4x slower.
install -m 0755 "$node_bin" "$root/usr/local/bin/node"

kver=$(ls "$root/lib/modules")
echo "$kver" > "$out/kver"
cp "$root/boot/vmlinuz-$kver" "$out/vmlinuz"

# Populate the ext4 image from the directory: no loop mount needed. 1 GiB of
# headroom for what the tests write (images, container state).
size=$(( $(du -sm "$root" | cut -f1) + 1024 ))M
mkfs.ext4 -q -F -L tsmroot -d "$root" "$out/root.img" "$size"
rm -rf "$root"
echo "image: kernel $kver, root.img $size"
