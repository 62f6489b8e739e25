#pragma once
// vipgate's configuration model: what the YAML loader produces and what the
// rest of the program consumes. Pure: no DPDK.

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "net/types.hpp"
#include "vrrp/config.hpp"

namespace vipgate::config {

// Where a value came from, for error messages on later checks.
struct source_location {
    std::string file;
    int line = 0;                  // 1-based; 0 = unknown
    int column = 0;                // 1-based; 0 = unknown
    std::string to_string() const; // "file:line:column"
};

struct port_config {
    std::string name;    // operator's name, e.g. "ext0"; unique
    std::string device;  // a DPDK vdev string ("net_af_packet0,iface=veth0") or a PCI address
    bool is_pci = false; // true when `device` parses as a PCI address (DDDD:BB:DD.F or BB:DD.F)
    net::ipv4_prefix address; // the port's primary address with its prefix
    source_location where;
};

struct dataplane_config {
    // Number of worker lcores; 0 = every lcore but the main one.
    unsigned workers = 0;
    std::uint32_t mbufs = 16383;               // mbufs per pool (one pool per socket)
    std::uint32_t mbuf_cache = 256;            // per-lcore mempool cache
    std::uint16_t rx_descriptors = 1024;       // per RX queue
    std::uint16_t tx_descriptors = 1024;       // per TX queue
    std::uint16_t burst = 32;                  // rx/tx burst size
    std::uint32_t punt_ring_size = 1024;       // worker -> control ring, power of two
    std::uint32_t control_tx_ring_size = 1024; // control -> worker TX ring, power of two
    // Idle behaviour: busy-poll (false, the default) or sleep `idle_sleep_us`
    // after `idle_polls` consecutive empty polls.
    bool idle_sleep = false;
    std::uint32_t idle_sleep_us = 100;
    std::uint32_t idle_polls = 64;
};

struct neighbour_config {
    std::uint32_t max_entries = 4096;
    std::uint32_t reachable_time_s = 300;   // an entry learnt from ARP lives this long
    std::uint32_t retry_interval_ms = 1000; // between ARP requests while resolving
    std::uint32_t retries = 3;              // requests before a resolution fails
};

// A VRRP instance on one of the ports (keepalived's vrrp_instance).
struct vrrp_instance_config {
    std::string port;           // a port name from `ports` (keepalived: `interface`)
    vrrp::instance_config vrrp; // name, vrid, priority, ... (not yet normalized)
    source_location where;
};

// keepalived's vrrp_sync_group: members change state together.
struct vrrp_sync_group_config {
    std::string name;
    std::vector<std::string> members; // vrrp instance names
    source_location where;
};

inline constexpr std::size_t max_vrrp_instances = 64;

struct config {
    std::string source_file; // the YAML file this came from ("<string>" for tests)
    std::vector<port_config> ports;
    dataplane_config dataplane;
    neighbour_config neighbours;
    std::vector<vrrp_instance_config> vrrp_instances; // at most max_vrrp_instances
    std::vector<vrrp_sync_group_config> vrrp_sync_groups;
    // Problems that did not stop the load, one per entry, each as
    // "FILE:LINE:COLUMN: what": a value adjusted the way keepalived adjusts it
    // (advert_int rounding, auth_pass truncation), a keepalived.conf keyword
    // vipgate ignores. The loader and import_keepalived() fill it; the
    // program prints them.
    std::vector<std::string> warnings;
};

// Parse and validate. On failure the error message holds every problem found,
// one per line, each as "FILE:LINE:COLUMN: what was wrong; expected what".
// On success, config::warnings lists what was accepted with a remark.
result<config> load_file(const std::string& path);
result<config> load_string(const std::string& text, const std::string& filename = "<string>");

// Every key the loader accepts, as paths: "ports", "ports[].name",
// "dataplane.workers", ... Lets tests check that docs/config.md and
// conf/example.yaml cover the whole schema.
std::vector<std::string> schema_keys();

} // namespace vipgate::config
