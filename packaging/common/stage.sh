#!/bin/bash
# Lays out an installed tsmachine under DESTDIR from an already built tree
# (after `npm run build`), for packaging/deb/build.sh and packaging/rpm/build.sh.
#
#   usage: stage.sh TREE DESTDIR
#
# Everything of the program goes under /usr/lib/tsmachine/ with the same
# relative layout as the checkout, so src/paths.ts finds its native stage and
# built-in images by walking up from dist/ in both places.
set -euo pipefail

tree=$(realpath "$1")
dest=$2
here=$(dirname "$(realpath "$0")")
repo=$(realpath "$here/../..")
lib=$dest/usr/lib/tsmachine

need() {
    local f
    for f; do
        [[ -e $tree/$f ]] || { echo "stage: $tree/$f is missing; run 'npm run build' first" >&2; exit 1; }
    done
}
need dist/tsmachine.cjs dist/tsmachine-oci.cjs bin/tsmachine.cjs native/build/tsmachine.node native/build/tsm-monitor native/build/tsm-oci build/images/httpd

rm -rf "$dest"
install -d -m 0755 "$lib/bin" "$lib/dist" "$lib/native/build" "$lib/build/images" \
    "$dest/usr/bin" "$dest/usr/lib/systemd/system" "$dest/usr/share/man/man1" "$dest/usr/share/man/man5" \
    "$dest/usr/share/bash-completion/completions" "$dest/etc/tsmachine"

install -m 0644 "$tree/dist/tsmachine.cjs" "$tree/dist/tsmachine-oci.cjs" "$lib/dist/"
# The shim below runs it with /usr/bin/node: no "#!/usr/bin/env node" here,
# which would pick whatever node comes first on PATH.
sed '1{/^#!/d}' "$tree/bin/tsmachine.cjs" > "$lib/bin/tsmachine.cjs"
chmod 0644 "$lib/bin/tsmachine.cjs"
# The OCI runtime: the same launcher under its own name, which picks dist/tsmachine-oci.cjs.
install -m 0644 "$lib/bin/tsmachine.cjs" "$lib/bin/tsmachine-oci.cjs"
install -m 0644 "$tree/native/build/tsmachine.node" "$lib/native/build/"
install -m 0755 "$tree/native/build/tsm-monitor" "$lib/native/build/"
# The image keeps its own modes and symlinks (busybox applets); ownership
# becomes root's under fakeroot / rpmbuild.
cp -a "$tree/build/images/httpd" "$lib/build/images/"

# /usr/bin/tsmachine: Debian's node is /usr/bin/node; an absolute path keeps
# units and sudo from picking up another node on PATH. --jitless
# --no-expose-wasm as in bin/tsmachine.cjs's first line (which says why).
cat > "$dest/usr/bin/tsmachine" <<'SHIM'
#!/bin/sh
exec /usr/bin/node --jitless --no-expose-wasm --preserve-symlinks-main /usr/lib/tsmachine/bin/tsmachine.cjs "$@"
SHIM
chmod 0755 "$dest/usr/bin/tsmachine"
# /usr/bin/tsmachine-oci: the native front end (start, kill and delete of a
# stopped container without Node), which runs /usr/bin/node on
# /usr/lib/tsmachine/bin/tsmachine-oci.cjs, with the flags above, for the rest.
install -m 0755 "$tree/native/build/tsm-oci" "$dest/usr/bin/tsmachine-oci"

install -m 0644 "$repo/units/tsmachine@.service" "$dest/usr/lib/systemd/system/"
gzip -9n < "$repo/man/tsmachine.1" > "$dest/usr/share/man/man1/tsmachine.1.gz"
gzip -9n < "$repo/man/tsmachine-oci.1" > "$dest/usr/share/man/man1/tsmachine-oci.1.gz"
chmod 0644 "$dest/usr/share/man/man1/tsmachine-oci.1.gz"
gzip -9n < "$repo/man/tsmachine.tsmachine.5" > "$dest/usr/share/man/man5/tsmachine.tsmachine.5.gz"
chmod 0644 "$dest/usr/share/man/man1/tsmachine.1.gz" "$dest/usr/share/man/man5/tsmachine.tsmachine.5.gz"
install -m 0644 "$repo/completion/tsmachine.bash" "$dest/usr/share/bash-completion/completions/tsmachine"
# `podman --runtime tsmachine`: podman 4.3 (containers/common 0.50) reads
# drop-ins from /etc/containers/containers.conf.d/ only (tried in the test VM;
# /usr/share/containers/containers.conf.d/ comes with later versions, which
# still read /etc). A conffile: an administrator's edit survives upgrades.
install -d -m 0755 "$dest/etc/containers/containers.conf.d"
cat > "$dest/etc/containers/containers.conf.d/50-tsmachine.conf" <<'CONF'
# tsmachine-oci(1) as an OCI runtime podman knows by name:
#   podman --runtime tsmachine run ...
# Installed by the tsmachine package.
[engine.runtimes]
tsmachine = ["/usr/bin/tsmachine-oci"]
CONF
chmod 0644 "$dest/etc/containers/containers.conf.d/50-tsmachine.conf"

# Strip the native code: debug info is for the build tree, not the package.
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$lib/native/build/tsmachine.node"
strip --remove-section=.comment --remove-section=.note "$lib/native/build/tsm-monitor"
strip --remove-section=.comment --remove-section=.note "$dest/usr/bin/tsmachine-oci"
