#pragma once
// What the workers read: the per-packet context and the vectors behind its
// spans. Immutable once published: written by the control core before
// shell::publish(), then read-only until reclaimed (RCU in the DPDK shell).
// Pure, so the control core (lib/control) builds it without the shell.

#include <cstdint>
#include <memory>
#include <vector>

#include "lb/service_table.hpp"
#include "pipeline/pipeline.hpp"
#include "vrrp/config.hpp"

namespace vipgate::pipeline {

struct snapshot {
    std::uint64_t generation = 0;
    // Load balancing: the services (shared, immutable), which are active (VIP
    // held here), and the neighbours workers may send to.
    std::shared_ptr<const lb::service_table> services;
    std::vector<std::uint8_t> service_active;
    std::shared_ptr<const neighbour_map> neighbours;
    // Per port; these back the spans of port_view.
    std::vector<std::vector<owned_address>> owned;
    std::vector<std::vector<net::mac_addr>> virtual_macs;
    std::vector<std::vector<vrrp_view>> vrrp;
    // VRRP instance configs the vrrp_views point to (shared, immutable).
    std::vector<std::shared_ptr<const vrrp::instance_config>> vrrp_configs;
    std::vector<port_view> ports;
    std::vector<rs_hop> rs_hops; // build_rs_hops(ctx), by finalize()
    context ctx;

    // Point the views at the vectors above; call after filling them (and
    // after copying a snapshot).
    void finalize();
};

} // namespace vipgate::pipeline
