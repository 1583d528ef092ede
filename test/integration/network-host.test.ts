/**
 * The network module's host tests (test/unit/network-host.test.ts) once more
 * inside the systemd VM guest, where nftables, iproute2, curl and
 * busybox-static are always installed, so they never end up skipped there.
 */
import '../unit/network-host.test.js';
