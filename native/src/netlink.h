/*
 * rtnetlink for the network module (src/network/, bound in
 * src/kernel/netlink.ts). Every function talks NETLINK_ROUTE directly: no
 * `ip` process per step.
 *
 * Convention: a return value >= 0 is success (an ifindex where one is
 * meaningful), -1 is failure with errno set. Names are interface names
 * (< IFNAMSIZ); IPv4 addresses are host-order uint32 (10.88.0.1 = 0x0a580001).
 *
 * Only tsm_nl_netns_configure touches another network namespace, and it does
 * so in a short-lived child process (clone with CLONE_VM|CLONE_VFORK): the
 * calling (Node) process never changes namespace.
 */
#ifndef TSM_NETLINK_H
#define TSM_NETLINK_H

#include <stdint.h>

/* ifindex of NAME in the caller's netns; -1/ENODEV when there is none. */
int tsm_nl_link_index(const char *name);

/* A new bridge NAME (random locally administered MAC, so it does not change
 * when ports join); returns its ifindex. -1/EEXIST when the name is taken. */
int tsm_nl_bridge_add(const char *name);

/* A veth pair: HOST_NAME stays here, PEER_NAME is created directly inside the
 * network namespace of PEER_PID (IFLA_NET_NS_PID). Both ends get MTU when it
 * is > 0 (else the kernel's 1500). PEER_MAC (6 bytes) is the peer's address,
 * NULL for a random one. Returns HOST_NAME's ifindex. */
int tsm_nl_veth_add(const char *host_name, const char *peer_name, int peer_pid, int mtu, const unsigned char *peer_mac);

/* A macvlan (mode bridge) or ipvlan (mode l2) link on PARENT_IFINDEX, named
 * NAME inside the netns of PID. KIND is "macvlan" or "ipvlan". Returns 0. */
int tsm_nl_l2_add(const char *kind, int parent_ifindex, const char *name, int pid);

/* Enslaves IFINDEX to MASTER (when master > 0) and sets it up (when up != 0). */
int tsm_nl_link_set(int ifindex, int master, int up);

/* Hairpin mode of bridge port IFINDEX: frames may leave through the port
 * they came in on. A container reaching its own published port through the
 * host (DNAT back to itself) needs it when br_netfilter is loaded. */
int tsm_nl_brport_hairpin(int ifindex, int on);

/* Adds ADDR/PREFIX to IFINDEX. -1/EEXIST when it is already there. */
int tsm_nl_addr_add(int ifindex, uint32_t addr, int prefix);

/* Deletes link NAME (and a veth's peer with it). -1/ENODEV when absent. */
int tsm_nl_link_del(const char *name);

/*
 * Inside the network namespace of PID (entered by a child process): brings lo
 * up, gives IFNAME the address ADDR/PREFIX (skipped when addr is 0), sets it
 * up and adds a default route via GATEWAY (skipped when 0). On failure -1,
 * and *out names the step (stage "netns", syscall, what, IFNAME, errno) as
 * the stages report theirs.
 */
struct tsm_result;
int tsm_nl_netns_configure(int pid, const char *ifname, uint32_t addr, int prefix, uint32_t gateway,
			   struct tsm_result *out);

#endif
