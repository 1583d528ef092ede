#!/bin/bash
# Lints the packages that deb/build.sh and rpm/build.sh made.
#   usage: packaging/lint.sh [DIR]   (default: dist/)
# lintian must report no errors or warnings (overrides with reasons are in
# deb/lintian-overrides); rpmlint runs with rpm/rpmlint.toml if installed.
set -euo pipefail
here=$(dirname "$(realpath "$0")")
dir=${1:-$here/../dist}
status=0
shopt -s nullglob
for deb in "$dir"/tsmachine_*.deb; do
    echo "lintian $deb"
    lintian --fail-on error,warning --tag-display-limit 0 "$deb" || status=1
done
for rpm in "$dir"/tsmachine-*.rpm; do
    if command -v rpmlint >/dev/null; then
        echo "rpmlint $rpm"
        rpmlint -c "$here/rpm/rpmlint.toml" "$rpm" || status=1
    else
        echo "rpmlint not installed; skipping $rpm"
    fi
done
exit $status
