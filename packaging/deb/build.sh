#!/bin/bash
# Builds tsmachine_VERSION-REVISION_ARCH.deb from an already built tree.
#
#   usage: packaging/deb/build.sh [TREE] [OUTDIR]
#     TREE    the built checkout (default: this one), after `npm run build`
#     OUTDIR  where the .deb goes (default: TREE/dist)
#   env: TSM_DEB_REVISION (default 1), TSM_MAINTAINER, SOURCE_DATE_EPOCH
#
# No debian/ source package: the program is built by npm/esbuild/make
# already, so this only lays the files out (packaging/common/stage.sh) and
# runs dpkg-deb under fakeroot, so every file is owned by root.
set -euo pipefail

here=$(dirname "$(realpath "$0")")
repo=$(realpath "$here/../..")
tree=$(realpath "${1:-$repo}")
out=$(realpath -m "${2:-$tree/dist}")

for tool in dpkg-deb fakeroot gzip; do
    command -v "$tool" >/dev/null || { echo "deb: $tool is needed (apt-get install dpkg-dev fakeroot)" >&2; exit 1; }
done

upstream=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$repo/package.json" | head -n1)
version="$upstream-${TSM_DEB_REVISION:-1}"
arch=$(dpkg --print-architecture)
maintainer=${TSM_MAINTAINER:-tsmachine maintainers <tsmachine@packages.invalid>}
# Reproducible dates: the last commit's, unless the caller fixes one.
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH=$epoch

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
bash "$repo/packaging/common/stage.sh" "$tree" "$root"

# Debian's documentation: copyright and a changelog.
doc=$root/usr/share/doc/tsmachine
install -d -m 0755 "$doc"
install -m 0644 "$here/copyright" "$doc/copyright"
{
    echo "tsmachine ($version) unstable; urgency=medium"
    echo
    echo "  * Package built from the tsmachine tree at version $upstream."
    echo
    echo " -- $maintainer  $(date -u -R -d "@$epoch")"
} | gzip -9n > "$doc/changelog.Debian.gz"
chmod 0644 "$doc/changelog.Debian.gz"

# The oldest glibc the native code needs (its highest GLIBC_x.y symbol version).
libc=libc6
glibc=$(find "$root/usr/lib/tsmachine/native" -type f \( -name '*.so' -o -name '*.node' -o -perm -u+x \) -print0 |
    xargs -0 objdump -T 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n1 || true)
[[ -n $glibc ]] && libc="libc6 (>= $glibc)"

install -d -m 0755 "$root/usr/share/lintian/overrides"
install -m 0644 "$here/lintian-overrides" "$root/usr/share/lintian/overrides/tsmachine"

install -d -m 0755 "$root/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
    -e "s|@INSTALLED_SIZE@|$size|" -e "s|@LIBC@|$libc|" "$here/control.in" > "$root/DEBIAN/control"
for s in postinst prerm postrm; do install -m 0755 "$here/$s" "$root/DEBIAN/$s"; done
# Files under /etc are the administrator's once installed (dpkg asks before replacing an edited one).
(cd "$root" && find etc -type f | sort | sed 's|^|/|') > "$root/DEBIAN/conffiles"
chmod 0644 "$root/DEBIAN/conffiles"
[[ -s $root/DEBIAN/conffiles ]] || rm "$root/DEBIAN/conffiles"
(cd "$root" && find . \( -path ./DEBIAN -o -path ./etc \) -prune -o -type f -print0 | sort -z | xargs -0 md5sum | sed 's|  \./|  |') > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums" "$root/DEBIAN/control"

# Same mtimes everywhere, so two builds of one tree give the same .deb.
find "$root" -depth -newermt "@$epoch" -print0 | xargs -0r touch --no-dereference --date="@$epoch"

mkdir -p "$out"
deb=$out/tsmachine_${version}_${arch}.deb
fakeroot -- dpkg-deb -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
