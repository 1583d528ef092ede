#!/bin/bash
# Builds tsmachine-VERSION-1.ARCH.rpm from an already built tree, with
# rpmbuild (on Debian: apt-get install rpm).
#
#   usage: packaging/rpm/build.sh [TREE] [OUTDIR]
#     TREE    the built checkout (default: this one), after `npm run build`
#     OUTDIR  where the .rpm goes (default: TREE/dist)
#   env: TSM_MAINTAINER, SOURCE_DATE_EPOCH
set -euo pipefail

here=$(dirname "$(realpath "$0")")
repo=$(realpath "$here/../..")
tree=$(realpath "${1:-$repo}")
out=$(realpath -m "${2:-$tree/dist}")

command -v rpmbuild >/dev/null || { echo "rpm: rpmbuild is needed (apt-get install rpm)" >&2; exit 1; }

version=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$repo/package.json" | head -n1)
packager=${TSM_MAINTAINER:-tsmachine maintainers <tsmachine@packages.invalid>}
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH=$epoch

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage=$work/stage
bash "$repo/packaging/common/stage.sh" "$tree" "$stage"
install -d -m 0755 "$stage/usr/share/licenses/tsmachine"
install -m 0644 "$repo/packaging/deb/copyright" "$stage/usr/share/licenses/tsmachine/copyright"

rpmbuild -bb --quiet \
    --define "_topdir $work/rpmbuild" \
    --define "tsm_version $version" \
    --define "tsm_stage $stage" \
    --define "tsm_date $(LC_ALL=C date -u -d "@$epoch" '+%a %b %d %Y')" \
    --define "tsm_packager $packager" \
    --define "use_source_date_epoch_as_buildtime 1" \
    --define "clamp_mtime_to_source_date_epoch 1" \
    --define "_buildhost reproducible" \
    "$here/tsmachine.spec"

mkdir -p "$out"
rpm=$(find "$work/rpmbuild/RPMS" -name "tsmachine-$version-1.*.rpm" | head -n1)
cp "$rpm" "$out/"
echo "$out/$(basename "$rpm")"
