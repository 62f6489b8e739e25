#include "pipeline/snapshot.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

namespace vipgate::pipeline {

std::uint16_t snapshot_builder::add_port(const net::mac_addr& mac, net::ipv4_prefix address,
                                         net::ipv4_addr gateway) {
    port_entry& p = ports_.emplace_back();
    p.view.mac = mac;
    p.view.address = address.addr;
    p.view.prefix_len = address.len;
    p.view.gateway = gateway;
    p.owned.push_back({address.addr, mac});
    return static_cast<std::uint16_t>(ports_.size() - 1);
}

void snapshot_builder::add_owned(std::uint16_t port, const owned_address& a) {
    assert(port < ports_.size());
    ports_[port].owned.push_back(a);
}

bool snapshot_builder::owns(std::uint16_t port, net::ipv4_addr a) const {
    assert(port < ports_.size());
    const auto& owned = ports_[port].owned;
    return std::any_of(owned.begin(), owned.end(),
                       [a](const owned_address& o) { return o.addr == a; });
}

void snapshot_builder::add_virtual_mac(std::uint16_t port, const net::mac_addr& mac) {
    assert(port < ports_.size());
    ports_[port].virtual_macs.push_back(mac);
}

void snapshot_builder::add_vrrp(std::uint16_t port, std::uint8_t slot,
                                std::shared_ptr<const vrrp::instance_config> cfg) {
    assert(port < ports_.size() && cfg != nullptr);
    ports_[port].vrrp.push_back({cfg->vrid, slot, cfg.get()});
    vrrp_configs_.push_back(std::move(cfg));
}

void snapshot_builder::set_services(std::shared_ptr<const lb::service_table> table,
                                    std::vector<std::uint8_t> active) {
    services_ = std::move(table);
    service_active_ = std::move(active);
}

void snapshot_builder::set_neighbours(std::shared_ptr<const neighbour_map> map) {
    neighbours_ = std::move(map);
}

void snapshot_builder::set_neighbours(std::span<const next_hop> entries) {
    neighbours_ = std::make_shared<const neighbour_map>(entries);
}

std::unique_ptr<const snapshot> snapshot_builder::build() const {
    std::unique_ptr<snapshot> s(new snapshot());
    s->generation_ = generation_;
    s->services_ = services_;
    s->service_active_ = service_active_;
    s->neighbours_ = neighbours_;
    s->vrrp_configs_ = vrrp_configs_;

    // Flat storage, reserved up front: the spans taken below stay valid.
    std::size_t owned = 0, vmacs = 0, vrrp = 0;
    for (const port_entry& p : ports_) {
        owned += p.owned.size();
        vmacs += p.virtual_macs.size();
        vrrp += p.vrrp.size();
    }
    s->owned_.reserve(owned);
    s->virtual_macs_.reserve(vmacs);
    s->vrrp_.reserve(vrrp);
    s->ports_.reserve(ports_.size());
    for (const port_entry& p : ports_) {
        port_view v = p.view;
        v.owned = {s->owned_.data() + s->owned_.size(), p.owned.size()};
        s->owned_.insert(s->owned_.end(), p.owned.begin(), p.owned.end());
        v.virtual_macs = {s->virtual_macs_.data() + s->virtual_macs_.size(), p.virtual_macs.size()};
        s->virtual_macs_.insert(s->virtual_macs_.end(), p.virtual_macs.begin(),
                                p.virtual_macs.end());
        // process() finds an instance by binary search over VRID
        // (pipeline.hpp: sorted by VRID).
        const std::size_t at = s->vrrp_.size();
        s->vrrp_.insert(s->vrrp_.end(), p.vrrp.begin(), p.vrrp.end());
        std::stable_sort(s->vrrp_.begin() + static_cast<std::ptrdiff_t>(at), s->vrrp_.end(),
                         [](const vrrp_view& a, const vrrp_view& b) { return a.vrid < b.vrid; });
        v.vrrp = {s->vrrp_.data() + at, p.vrrp.size()};
        s->ports_.push_back(v);
    }

    context& ctx = s->ctx_;
    ctx.ports = s->ports_;
    ctx.services = s->services_.get();
    ctx.service_active = s->service_active_;
    ctx.neighbours = s->neighbours_.get();
    // Both read the views set above (and nothing of rs_hops).
    s->rs_hops_ = build_rs_hops(ctx);
    ctx.rs_hops = s->rs_hops_;
    ctx.own_filter = build_own_filter(ctx);
    ctx.sync = sync_;
    return s;
}

} // namespace vipgate::pipeline
