#include "pipeline/snapshot.hpp"

namespace vipgate::pipeline {

void snapshot::finalize() {
    owned.resize(ports.size());
    virtual_macs.resize(ports.size());
    vrrp.resize(ports.size());
    for (std::size_t i = 0; i < ports.size(); ++i) {
        ports[i].owned = std::span<const owned_address>(owned[i]);
        ports[i].virtual_macs = std::span<const net::mac_addr>(virtual_macs[i]);
        ports[i].vrrp = std::span<const vrrp_view>(vrrp[i]);
    }
    ctx.ports = std::span<const port_view>(ports.data(), ports.size());
    ctx.services = services.get();
    ctx.service_active = std::span<const std::uint8_t>(service_active);
    ctx.neighbours = neighbours.get();
    ctx.rs_hops = {};
    rs_hops = build_rs_hops(ctx);
    ctx.rs_hops = std::span<const rs_hop>(rs_hops);
    ctx.own_filter = build_own_filter(ctx);
}

} // namespace vipgate::pipeline
