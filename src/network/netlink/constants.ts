// rtnetlink numbers from the Linux UAPI headers (linux/netlink.h, linux/rtnetlink.h,
// linux/if_link.h, linux/if_addr.h, linux/neighbour.h, linux/if.h). These are the same
// on every architecture Kata guests run on.

export const NETLINK_ROUTE = 0;

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

// struct nlmsghdr
export const NLMSG_HDRLEN = 16;
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

export const NLM_F_REQUEST = 0x01;
export const NLM_F_MULTI = 0x02;
export const NLM_F_ACK = 0x04;
export const NLM_F_DUMP_INTR = 0x10;
// Modifiers of GET requests
const NLM_F_ROOT = 0x100;
const NLM_F_MATCH = 0x200;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
// Modifiers of NEW requests
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
// Flags of NLMSG_ERROR acknowledgements
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;

// Extended-ack attributes inside NLMSG_ERROR
export const NLMSGERR_ATTR_MSG = 1;

// Message types
export const RTM_NEWLINK = 16;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;
export const RTM_NEWNEIGH = 28;
export const RTM_DELNEIGH = 29;
export const RTM_GETNEIGH = 30;

// struct ifinfomsg (16 bytes) and IFLA_* attributes
export const IFINFOMSG_LEN = 16;
export const IFLA_ADDRESS = 1;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_MASTER = 10;
export const IFLA_LINKINFO = 18;
export const IFLA_EXT_MASK = 29;
export const IFLA_INFO_KIND = 1;
export const RTEXT_FILTER_SKIP_STATS = 1 << 3;

// net_device_flags (linux/if.h)
export const IFF_UP = 0x1;
export const IFF_NOARP = 0x80;
export const IFF_PROMISC = 0x100;

// struct ifaddrmsg (8 bytes) and IFA_* attributes
export const IFADDRMSG_LEN = 8;
export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_LABEL = 3;
export const IFA_BROADCAST = 4;
export const IFA_FLAGS = 8;
export const IFA_F_NODAD = 0x02;
export const IFA_F_PERMANENT = 0x80;

// struct rtmsg (12 bytes) and RTA_* attributes
export const RTMSG_LEN = 12;
export const RTA_DST = 1;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RTA_PRIORITY = 6;
export const RTA_PREFSRC = 7;
export const RTA_MULTIPATH = 9;
export const RTA_TABLE = 15;
// struct rtnexthop (8 bytes) inside RTA_MULTIPATH
export const RTNH_LEN = 8;

export const RT_TABLE_MAIN = 254;

export const RTPROT_KERNEL = 2;
export const RTPROT_BOOT = 3;

export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_LINK = 253;
export const RT_SCOPE_HOST = 254;

export const RTN_UNICAST = 1;

export const RTM_F_CLONED = 0x200;

// struct ndmsg (12 bytes) and NDA_* attributes
export const NDMSG_LEN = 12;
export const NDA_DST = 1;
export const NDA_LLADDR = 2;

export const NUD_STALE = 0x04;
export const NUD_PERMANENT = 0x80;

export const NTF_ROUTER = 0x80;
