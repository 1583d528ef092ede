/**
 * What parseNetworkOptions makes of --network/--ip/--publish/--dns, and what
 * setupNetwork hands back to the runtime core.
 */

export type NetworkMode = 'bridge' | 'none' | 'host' | 'macvlan' | 'ipvlan';

export type PortProtocol = 'tcp' | 'udp';

/** One -p/--publish "[HOSTIP:]HOSTPORT:CPORT[/tcp|udp]". */
export interface PortMapping {
  /** Only traffic to this host address is forwarded; null: any local address (incl. 127.0.0.1). */
  hostIp: string | null;
  hostPort: number;
  containerPort: number;
  protocol: PortProtocol;
}

export interface StaticIp {
  address: string;
  /** Given with macvlan/ipvlan (ADDR/PREFIX); null in bridge mode (the bridge subnet's prefix is used). */
  prefix: number | null;
}

export interface NetworkPlan {
  mode: NetworkMode;
  /** macvlan/ipvlan: the host interface the container's eth0 sits on; null otherwise. */
  parent: string | null;
  /** --ip; null: the IPAM picks one (bridge) or none is set (macvlan/ipvlan). */
  ip: StaticIp | null;
  publish: PortMapping[];
  /** --dns servers; empty: derived from the host's resolv.conf. */
  dns: string[];
}

export interface NetworkResult {
  /** Host-side interfaces of the container, for RegisterMachineWithNetwork (the veth's host end in bridge mode). */
  hostIfindices: number[];
  /** Container addresses in CIDR form ("10.88.0.2/16"). */
  addresses: string[];
  /** Content for the container's /etc/resolv.conf. */
  resolvConf: string;
  /** Content for the container's /etc/hosts. */
  hosts: string;
  /** Removes what this setup created (veth, nft rules, lease); safe to call twice. */
  undo(): Promise<void>;
}
