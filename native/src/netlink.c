/*
 * rtnetlink requests for the network module; see netlink.h for the contract.
 *
 * The host-side requests run on Node's thread: they only open a netlink
 * socket, send one request and read its ack. The container-side request
 * (tsm_nl_netns_configure) must run inside the container's network namespace,
 * and Node must never setns() itself, so it runs in a child process made by
 * clone() (no atfork handlers, no copy of Node's memory: see
 * tsm_nl_netns_configure). That child uses only async-signal-safe calls and
 * stack buffers, leaves {step, errno} in memory it shares with us and exits.
 */
#define _GNU_SOURCE
#include "netlink.h"
#include "stage.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* One request. The union gives the buffer nlmsghdr's alignment. */
struct nl_msg {
	union {
		struct nlmsghdr hdr;
		char buf[1024];
	} u;
	int overflow;
};

static unsigned int nl_seq;

static void msg_init(struct nl_msg *m, uint16_t type, uint16_t flags, const void *body, size_t len)
{
	memset(m, 0, sizeof(*m));
	m->u.hdr.nlmsg_len = NLMSG_LENGTH(len);
	m->u.hdr.nlmsg_type = type;
	m->u.hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	memcpy(NLMSG_DATA(&m->u.hdr), body, len);
}

static struct rtattr *attr_put(struct nl_msg *m, unsigned short type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(m->u.hdr.nlmsg_len);
	size_t alen = RTA_LENGTH(len);
	if (m->overflow || off + RTA_ALIGN(alen) > sizeof(m->u.buf)) {
		m->overflow = 1;
		return NULL;
	}
	struct rtattr *a = (struct rtattr *)(m->u.buf + off);
	a->rta_type = type;
	a->rta_len = (unsigned short)alen;
	if (len)
		memcpy(RTA_DATA(a), data, len);
	m->u.hdr.nlmsg_len = (uint32_t)(off + RTA_ALIGN(alen));
	return a;
}

static void attr_u32(struct nl_msg *m, unsigned short type, uint32_t v)
{
	attr_put(m, type, &v, sizeof(v));
}

static void attr_str(struct nl_msg *m, unsigned short type, const char *s)
{
	attr_put(m, type, s, strlen(s) + 1);
}

/* A nested attribute: everything appended until nest_end belongs to it. */
static struct rtattr *nest_start(struct nl_msg *m, unsigned short type)
{
	return attr_put(m, type, NULL, 0);
}

static void nest_end(struct nl_msg *m, struct rtattr *a)
{
	if (a)
		a->rta_len = (unsigned short)(m->u.buf + m->u.hdr.nlmsg_len - (char *)a);
}

static int nl_open(void)
{
	return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
}

/*
 * Sends M and reads until its ack. An RTM_NEWLINK reply (to RTM_GETLINK)
 * stores the link's index in *ifindex. Returns 0 or -1 with errno.
 */
static int nl_request(int fd, struct nl_msg *m, int *ifindex)
{
	if (m->overflow) {
		errno = ENOBUFS;
		return -1;
	}
	unsigned int seq = ++nl_seq;
	m->u.hdr.nlmsg_seq = seq;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t n;
	do
		n = sendto(fd, m->u.buf, m->u.hdr.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;

	/* Large enough for one link's RTM_NEWLINK with all its stats. */
	union {
		struct nlmsghdr hdr;
		char buf[16384];
	} r;
	for (;;) {
		do
			n = recv(fd, r.buf, sizeof(r.buf), 0);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EPROTO;
			return -1;
		}
		int len = (int)n;
		for (struct nlmsghdr *h = &r.hdr; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				if (e->error == 0)
					return 0;
				errno = -e->error;
				return -1;
			}
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == RTM_NEWLINK && ifindex) {
				const struct ifinfomsg *ifi = NLMSG_DATA(h);
				*ifindex = ifi->ifi_index;
			}
		}
	}
}

/* Opens a socket, runs one request, closes, keeping the request's errno. */
static int nl_once(struct nl_msg *m, int *ifindex)
{
	int fd = nl_open();
	if (fd < 0)
		return -1;
	int rc = nl_request(fd, m, ifindex);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

static int link_index_on(int fd, const char *name)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nl_msg m;
	msg_init(&m, RTM_GETLINK, 0, &ifi, sizeof(ifi));
	attr_str(&m, IFLA_IFNAME, name);
	int index = 0;
	if (nl_request(fd, &m, &index) < 0)
		return -1;
	if (index <= 0) {
		errno = ENODEV;
		return -1;
	}
	return index;
}

int tsm_nl_link_index(const char *name)
{
	int fd = nl_open();
	if (fd < 0)
		return -1;
	int rc = link_index_on(fd, name);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* A locally administered unicast MAC. */
static void random_mac(unsigned char mac[6])
{
	if (syscall(SYS_getrandom, mac, 6, 0) != 6) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		unsigned long v = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 16);
		for (int i = 0; i < 6; i++)
			mac[i] = (unsigned char)(v >> (i * 8));
	}
	mac[0] = (unsigned char)((mac[0] & 0xfe) | 0x02);
}

int tsm_nl_bridge_add(const char *name)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nl_msg m;
	msg_init(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
	attr_str(&m, IFLA_IFNAME, name);
	/* A fixed MAC: otherwise the bridge takes its lowest port's MAC and
	 * changes it as containers come and go, which breaks ARP caches. */
	unsigned char mac[6];
	random_mac(mac);
	attr_put(&m, IFLA_ADDRESS, mac, sizeof(mac));
	struct rtattr *info = nest_start(&m, IFLA_LINKINFO);
	attr_str(&m, IFLA_INFO_KIND, "bridge");
	nest_end(&m, info);
	if (nl_once(&m, NULL) < 0)
		return -1;
	return tsm_nl_link_index(name);
}

int tsm_nl_veth_add(const char *host_name, const char *peer_name, int peer_pid, int mtu, const unsigned char *peer_mac)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nl_msg m;
	msg_init(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
	attr_str(&m, IFLA_IFNAME, host_name);
	if (mtu > 0)
		attr_u32(&m, IFLA_MTU, (uint32_t)mtu);
	struct rtattr *info = nest_start(&m, IFLA_LINKINFO);
	attr_str(&m, IFLA_INFO_KIND, "veth");
	struct rtattr *data = nest_start(&m, IFLA_INFO_DATA);
	/* VETH_INFO_PEER carries an ifinfomsg followed by the peer's attributes. */
	struct ifinfomsg peer_ifi = { .ifi_family = AF_UNSPEC };
	struct rtattr *peer = attr_put(&m, VETH_INFO_PEER, &peer_ifi, sizeof(peer_ifi));
	attr_str(&m, IFLA_IFNAME, peer_name);
	attr_u32(&m, IFLA_NET_NS_PID, (uint32_t)peer_pid);
	if (mtu > 0)
		attr_u32(&m, IFLA_MTU, (uint32_t)mtu);
	if (peer_mac)
		attr_put(&m, IFLA_ADDRESS, peer_mac, 6);
	nest_end(&m, peer);
	nest_end(&m, data);
	nest_end(&m, info);
	if (nl_once(&m, NULL) < 0)
		return -1;
	return tsm_nl_link_index(host_name);
}

int tsm_nl_l2_add(const char *kind, int parent_ifindex, const char *name, int pid)
{
	int macvlan = strcmp(kind, "macvlan") == 0;
	if (!macvlan && strcmp(kind, "ipvlan") != 0) {
		errno = EINVAL;
		return -1;
	}
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nl_msg m;
	msg_init(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
	attr_str(&m, IFLA_IFNAME, name);
	attr_u32(&m, IFLA_LINK, (uint32_t)parent_ifindex);
	attr_u32(&m, IFLA_NET_NS_PID, (uint32_t)pid);
	struct rtattr *info = nest_start(&m, IFLA_LINKINFO);
	attr_str(&m, IFLA_INFO_KIND, kind);
	struct rtattr *data = nest_start(&m, IFLA_INFO_DATA);
	if (macvlan) {
		/* bridge mode: containers on the same parent reach each other. */
		attr_u32(&m, IFLA_MACVLAN_MODE, MACVLAN_MODE_BRIDGE);
	} else {
		uint16_t mode = IPVLAN_MODE_L2;
		attr_put(&m, IFLA_IPVLAN_MODE, &mode, sizeof(mode));
	}
	nest_end(&m, data);
	nest_end(&m, info);
	return nl_once(&m, NULL);
}

static int link_set_on(int fd, int ifindex, int master, int up)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	if (up) {
		ifi.ifi_flags = IFF_UP;
		ifi.ifi_change = IFF_UP;
	}
	struct nl_msg m;
	msg_init(&m, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	if (master > 0)
		attr_u32(&m, IFLA_MASTER, (uint32_t)master);
	return nl_request(fd, &m, NULL);
}

int tsm_nl_link_set(int ifindex, int master, int up)
{
	int fd = nl_open();
	if (fd < 0)
		return -1;
	int rc = link_set_on(fd, ifindex, master, up);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int tsm_nl_brport_hairpin(int ifindex, int on)
{
	/* Bridge port options are set with family AF_BRIDGE and IFLA_PROTINFO. */
	struct ifinfomsg ifi = { .ifi_family = AF_BRIDGE, .ifi_index = ifindex };
	struct nl_msg m;
	msg_init(&m, RTM_SETLINK, 0, &ifi, sizeof(ifi));
	struct rtattr *proto = nest_start(&m, IFLA_PROTINFO | NLA_F_NESTED);
	uint8_t mode = on ? 1 : 0;
	attr_put(&m, IFLA_BRPORT_MODE, &mode, sizeof(mode));
	nest_end(&m, proto);
	return nl_once(&m, NULL);
}

static int addr_add_on(int fd, int ifindex, uint32_t addr, int prefix)
{
	struct ifaddrmsg ifa = {
		.ifa_family = AF_INET,
		.ifa_prefixlen = (unsigned char)prefix,
		.ifa_scope = RT_SCOPE_UNIVERSE,
		.ifa_index = (unsigned int)ifindex,
	};
	struct nl_msg m;
	msg_init(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
	uint32_t a = htonl(addr);
	uint32_t hostmask = prefix >= 32 ? 0 : (0xffffffffu >> prefix);
	uint32_t brd = htonl(addr | hostmask);
	attr_put(&m, IFA_LOCAL, &a, sizeof(a));
	attr_put(&m, IFA_ADDRESS, &a, sizeof(a));
	if (prefix < 31)
		attr_put(&m, IFA_BROADCAST, &brd, sizeof(brd));
	return nl_request(fd, &m, NULL);
}

int tsm_nl_addr_add(int ifindex, uint32_t addr, int prefix)
{
	int fd = nl_open();
	if (fd < 0)
		return -1;
	int rc = addr_add_on(fd, ifindex, addr, prefix);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int tsm_nl_link_del(const char *name)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nl_msg m;
	msg_init(&m, RTM_DELLINK, 0, &ifi, sizeof(ifi));
	attr_str(&m, IFLA_IFNAME, name);
	return nl_once(&m, NULL);
}

static int default_route_on(int fd, int ifindex, uint32_t gateway)
{
	struct rtmsg rt = {
		.rtm_family = AF_INET,
		.rtm_table = RT_TABLE_MAIN,
		.rtm_protocol = RTPROT_STATIC,
		.rtm_scope = RT_SCOPE_UNIVERSE,
		.rtm_type = RTN_UNICAST,
	};
	struct nl_msg m;
	msg_init(&m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rt, sizeof(rt));
	uint32_t gw = htonl(gateway);
	attr_put(&m, RTA_GATEWAY, &gw, sizeof(gw));
	attr_u32(&m, RTA_OIF, (uint32_t)ifindex);
	return nl_request(fd, &m, NULL);
}

/* What failed in the child: static strings, readable by the parent (CLONE_VM). */
struct child_report {
	const char *syscall; /* NULL: nothing failed */
	const char *what;
	int err;
};

/* Runs in the forked child: async-signal-safe calls only. */
static struct child_report configure_in_netns(const char *nspath, const char *ifname, uint32_t addr, int prefix,
					     uint32_t gateway)
{
	struct child_report r = { NULL, NULL, 0 };
#define FAIL(call, which)          \
	do {                       \
		r.syscall = (call); \
		r.what = (which);  \
		r.err = errno;     \
		return r;          \
	} while (0)
	int nsfd = open(nspath, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		FAIL("open", "netns");
	if (setns(nsfd, CLONE_NEWNET) < 0)
		FAIL("setns", "net");
	close(nsfd);
	int fd = nl_open();
	if (fd < 0)
		FAIL("socket", "netlink");
	/* The native init brings lo up too; doing it here as well makes the
	 * network module correct on its own (idempotent). */
	int lo = link_index_on(fd, "lo");
	if (lo < 0 || link_set_on(fd, lo, 0, 1) < 0)
		FAIL("setlink", "lo up");
	int index = link_index_on(fd, ifname);
	if (index < 0)
		FAIL("getlink", "container end");
	if (addr != 0 && addr_add_on(fd, index, addr, prefix) < 0)
		FAIL("newaddr", "container address");
	if (link_set_on(fd, index, 0, 1) < 0)
		FAIL("setlink", "container end up");
	if (gateway != 0 && default_route_on(fd, index, gateway) < 0)
		FAIL("newroute", "default route");
#undef FAIL
	return r;
}

struct child_args {
	const char *nspath;
	const char *ifname;
	uint32_t addr;
	int prefix;
	uint32_t gateway;
	/* Written by the child: it shares our memory (CLONE_VM). */
	struct child_report report;
};

static int child_main(void *arg)
{
	struct child_args *a = arg;
	a->report = configure_in_netns(a->nspath, a->ifname, a->addr, a->prefix, a->gateway);
	return a->report.syscall == NULL ? 0 : 1;
}

/*
 * The child is made with CLONE_VM | CLONE_VFORK, as posix_spawn does: no copy
 * of Node's page tables (a plain fork copies them all), and this
 * thread sleeps until the child is gone. setns() changes only the child's
 * namespaces (CLONE_VM without CLONE_THREAD is still a process of its own).
 * The child runs on its own mmap'd stack, touches no lock and no heap, and
 * leaves its report in ARGS, which we share.
 */
/* The failure as the stages report theirs; returns -1. */
static int netns_failed(struct tsm_result *out, const char *syscall, const char *what, const char *ifname, int err)
{
	tsm_result_error(out, "netns", syscall, what, ifname, err);
	return -1;
}

int tsm_nl_netns_configure(int pid, const char *ifname, uint32_t addr, int prefix, uint32_t gateway,
			   struct tsm_result *out)
{
	char nspath[64];
	snprintf(nspath, sizeof(nspath), "/proc/%d/ns/net", pid);
	memset(out, 0, sizeof(*out));

	const size_t stack_size = 256 * 1024;
	char *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return netns_failed(out, "mmap", "netns child stack", ifname, errno);
	/* A child that dies before it reports: "waitpid" with EIO. */
	struct child_args args = { nspath, ifname, addr, prefix, gateway, { "waitpid", "netns child", EIO } };

	/* Blocked in the child so none of Node's signal handlers can run in
	 * it; restored in the parent right after. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid_t child = clone(child_main, stack + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
	int clone_errno = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (child < 0) {
		munmap(stack, stack_size);
		return netns_failed(out, "clone", "netns child", ifname, clone_errno);
	}
	int status = 0;
	while (waitpid(child, &status, 0) < 0) {
		if (errno != EINTR) {
			int e = errno;
			munmap(stack, stack_size);
			return netns_failed(out, "waitpid", "netns child", ifname, e);
		}
	}
	munmap(stack, stack_size);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return netns_failed(out, args.report.syscall, args.report.what, ifname, args.report.err);
}
