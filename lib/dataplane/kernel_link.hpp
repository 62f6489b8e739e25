#pragma once
// The link state of an af_packet port, from the kernel.
//
// DPDK 22.11's net_af_packet reports its link up whatever the kernel
// interface under it does (eth_link_update() keeps the state set at
// dev_start), so a veth whose peer went away, or a cable pulled from the
// NIC behind the socket, would leave a VRRP instance on that port running.
// For af_packet ports (the vdev's `iface=` devarg) the shell therefore also
// asks the kernel: /sys/class/net/IF/carrier ("1" up, "0" down; the kernel
// refuses to read it while the interface is administratively down), else
// /sys/class/net/IF/operstate (RFC 2863 ifOperStatus: only "up" is up).
// The port is up when DPDK and the kernel both say so.
//
// Pure: no rte_*.h. The file reads are here too (the control core calls
// them about once a second per port, never a worker).

#include <optional>
#include <string>
#include <string_view>

namespace vipgate::dataplane {

// "net_af_packet0,iface=veth0,qpairs=2" -> "veth0"; nullopt for any other
// device, or an af_packet vdev without a usable iface= (EAL refuses those).
std::optional<std::string> af_packet_iface(std::string_view device);

// The text of a carrier file: "1" up, "0" down (one trailing newline or
// blank allowed); anything else, nullopt.
std::optional<bool> parse_carrier(std::string_view text);

// What the kernel says, from what could be read (nullopt: unreadable):
// the carrier when it parses, else operstate "up", else down (a missing
// or unreadable interface is down).
bool kernel_link_up(const std::optional<std::string>& carrier,
                    const std::optional<std::string>& operstate);

// The port's link: DPDK's report, and for an af_packet port the kernel's
// too (`kernel` is nullopt for other ports).
constexpr bool port_link_up(bool dpdk_up, std::optional<bool> kernel) {
    return dpdk_up && kernel.value_or(true);
}

// Reads ROOT/IF/carrier and ROOT/IF/operstate (ROOT: /sys/class/net; tests
// pass a directory of their own). Down when `iface` is not a plain
// interface name (no '/', not "." or "..", at most 15 characters).
bool read_kernel_link(const std::string& iface, const std::string& root = "/sys/class/net");

} // namespace vipgate::dataplane
