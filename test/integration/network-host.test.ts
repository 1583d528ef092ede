/**
 * The network module's host tests (test/host/network-host.test.ts) once more
 * inside the systemd VM guest, whose kernel has every link kind (ipvlan
 * among them) and where nftables, iproute2, curl and busybox-static are
 * always installed, so no half of them reports a missing feature there.
 */
import '../host/network-host.test.js';
