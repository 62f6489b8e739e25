// pipeline::snapshot_builder: the one place that assembles what the workers
// read. The product's views point into itself (not into the builder or the
// caller's vectors), shared inputs live as long as it does, and the derived
// parts (own_filter, rs_hops) are those of the finished context.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "lb/service_table.hpp"
#include "net/builder.hpp"
#include "net/types.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/snapshot.hpp"
#include "test_util.hpp"
#include "vrrp/config.hpp"

namespace vipgate::pipeline {
namespace {

using net::ipv4_addr;
using net::mac_addr;
using test::describe;

// Spans into its own vectors: a copy or a move would leave them pointing
// into another object.
static_assert(!std::is_copy_constructible_v<snapshot>);
static_assert(!std::is_move_constructible_v<snapshot>);
static_assert(!std::is_copy_assignable_v<snapshot>);
static_assert(!std::is_move_assignable_v<snapshot>);

const mac_addr ext_mac{{0x02, 0, 0, 0, 0, 0x01}};
const mac_addr int_mac{{0x02, 0, 0, 0, 0, 0x02}};
const mac_addr router_mac{{0x02, 0, 0, 0, 0, 0xfe}};
const mac_addr vmac52{{0x00, 0x00, 0x5e, 0x00, 0x01, 52}};
const ipv4_addr ext_addr{10, 0, 0, 1};
const ipv4_addr router{10, 0, 0, 254};
const ipv4_addr int_addr{172, 16, 0, 1};
const ipv4_addr vip{10, 0, 0, 100};
const ipv4_addr vip52{10, 0, 0, 200};
const ipv4_addr int_vip{172, 16, 0, 254};
const ipv4_addr rs_near{172, 16, 0, 11};    // on-link, resolved
const ipv4_addr rs_unknown{172, 16, 0, 12}; // on-link, no neighbour entry
const ipv4_addr rs_far{192, 0, 2, 5};       // off-link: via the router
const mac_addr rs_near_mac{{0x02, 0, 0xac, 0x10, 0, 11}};

std::shared_ptr<const vrrp::instance_config> instance(std::uint8_t vrid) {
    return std::make_shared<const vrrp::instance_config>(
        vrrp::instance_config{.name = "vi_" + std::to_string(vrid), .vrid = vrid});
}

std::shared_ptr<const lb::service_table> services() {
    lb::service_config a{.vip = vip, .port = 80};
    a.real_servers = {{rs_near, 8080}, {rs_unknown, 8080}};
    lb::service_config b{.vip = vip52, .port = 53, .proto = lb::protocol::udp};
    b.real_servers = {{rs_far, 53}, {rs_near, 53}};
    auto t = lb::service_table::build(std::vector<lb::service_config>{a, b});
    EXPECT_TRUE(t.ok()) << t.message();
    return std::make_shared<const lb::service_table>(std::move(*t));
}

// ext0 (a gateway, VRRP 52 with its VMAC and 51, a VIP without VRRP) and
// int0 (VRRP 61 and its VIP).
snapshot_builder two_ports(bool gateway = true) {
    snapshot_builder b;
    const std::uint16_t ext = b.add_port(ext_mac, {ext_addr, 24}, gateway ? router : ipv4_addr{});
    const std::uint16_t in = b.add_port(int_mac, {int_addr, 24});
    EXPECT_EQ(ext, 0u);
    EXPECT_EQ(in, 1u);
    b.add_vrrp(ext, 1, instance(52));
    b.add_vrrp(ext, 0, instance(51));
    b.add_owned(ext, {vip52, vmac52});
    b.add_virtual_mac(ext, vmac52);
    b.add_owned(ext, {vip, ext_mac});
    b.add_vrrp(in, 2, instance(61));
    b.add_owned(in, {int_vip, int_mac});
    return b;
}

TEST(Snapshot, PortsInOrderEachOwningItsAddressFirst) {
    snapshot_builder b = two_ports();
    EXPECT_EQ(b.port_count(), 2u);
    EXPECT_TRUE(b.owns(0, ext_addr));
    EXPECT_TRUE(b.owns(0, vip));
    EXPECT_FALSE(b.owns(1, vip));
    b.set_generation(42);
    const auto s = b.build();
    EXPECT_EQ(s->generation(), 42u);
    ASSERT_EQ(s->ports().size(), 2u);
    ASSERT_EQ(s->ctx().ports.data(), s->ports().data());
    const port_view& ext = s->ports()[0];
    EXPECT_EQ(ext.mac, ext_mac);
    EXPECT_EQ(ext.address, ext_addr);
    EXPECT_EQ(ext.prefix_len, 24u);
    EXPECT_EQ(ext.gateway, router);
    ASSERT_EQ(ext.owned.size(), 3u);
    EXPECT_EQ(ext.owned[0].addr, ext_addr);
    EXPECT_EQ(ext.owned[0].mac, ext_mac);
    EXPECT_EQ(ext.owned[1].addr, vip52);
    EXPECT_EQ(ext.owned[1].mac, vmac52);
    EXPECT_EQ(ext.owned[2].addr, vip);
    ASSERT_EQ(ext.virtual_macs.size(), 1u);
    EXPECT_EQ(ext.virtual_macs[0], vmac52);
    const port_view& in = s->ports()[1];
    EXPECT_EQ(in.gateway, ipv4_addr{});
    ASSERT_EQ(in.owned.size(), 2u);
    EXPECT_EQ(in.owned[0].addr, int_addr);
    EXPECT_EQ(in.owned[1].addr, int_vip);
    EXPECT_EQ(in.owned[1].mac, int_mac);
    EXPECT_TRUE(in.virtual_macs.empty());
}

TEST(Snapshot, VrrpViewsAreSortedByVridPerPort) {
    snapshot_builder b = two_ports();
    auto late = instance(7); // added last, sorts first
    b.add_vrrp(0, 3, late);
    const auto s = b.build();
    const auto& ext = s->ports()[0].vrrp;
    ASSERT_EQ(ext.size(), 3u);
    EXPECT_EQ(ext[0].vrid, 7u);
    EXPECT_EQ(ext[0].slot, 3u);
    EXPECT_EQ(ext[0].cfg, late.get());
    EXPECT_EQ(ext[1].vrid, 51u);
    EXPECT_EQ(ext[1].slot, 0u);
    EXPECT_EQ(ext[2].vrid, 52u);
    EXPECT_EQ(ext[2].slot, 1u);
    EXPECT_EQ(ext[2].cfg->vrid, 52u);
    const auto& in = s->ports()[1].vrrp;
    ASSERT_EQ(in.size(), 1u);
    EXPECT_EQ(in[0].vrid, 61u);
    EXPECT_EQ(in[0].slot, 2u);
}

// What a snapshot shows does not change when the builder goes on, builds
// again, or goes away: each product has storage of its own.
TEST(Snapshot, ViewsPointIntoTheProductNotTheBuilder) {
    std::unique_ptr<const snapshot> first, second;
    {
        snapshot_builder b = two_ports();
        std::vector<std::uint8_t> active{1, 0};
        b.set_services(services(), active);
        first = b.build();
        b.add_owned(0, {ipv4_addr{10, 0, 0, 150}, ext_mac});
        b.add_virtual_mac(1, mac_addr{{0x00, 0x00, 0x5e, 0x00, 0x01, 61}});
        b.set_services(services(), {0, 1});
        second = b.build();
        active.assign(2, 7);
    }
    EXPECT_NE(first->ports().data(), second->ports().data());
    EXPECT_NE(first->ports()[0].owned.data(), second->ports()[0].owned.data());
    EXPECT_NE(first->ctx().service_active.data(), second->ctx().service_active.data());
    ASSERT_EQ(first->ports()[0].owned.size(), 3u);
    EXPECT_EQ(first->ports()[0].owned[2].addr, vip);
    EXPECT_TRUE(first->ports()[1].virtual_macs.empty());
    ASSERT_EQ(first->ctx().service_active.size(), 2u);
    EXPECT_EQ(first->ctx().service_active[0], 1u);
    EXPECT_EQ(first->ctx().service_active[1], 0u);
    ASSERT_EQ(second->ports()[0].owned.size(), 4u);
    EXPECT_EQ(second->ports()[0].owned[3].addr, (ipv4_addr{10, 0, 0, 150}));
    ASSERT_EQ(second->ports()[1].virtual_macs.size(), 1u);
    EXPECT_EQ(second->ctx().service_active[0], 0u);
    EXPECT_EQ(second->ctx().rs_hops.data(), second->rs_hops().data());
    EXPECT_NE(first->rs_hops().data(), second->rs_hops().data());
    // Each port's spans lie in one storage, port after port.
    for (const auto* s : {first.get(), second.get()}) {
        const auto ports = s->ports();
        EXPECT_EQ(ports[0].owned.data() + ports[0].owned.size(), ports[1].owned.data());
        EXPECT_EQ(ports[0].vrrp.data() + ports[0].vrrp.size(), ports[1].vrrp.data());
    }
}

TEST(Snapshot, SharedInputsLiveAsLongAsTheSnapshot) {
    auto table = services();
    auto cfg = instance(9);
    const std::vector<next_hop> nh{{router, router_mac, 0}};
    auto map = std::make_shared<const neighbour_map>(nh);
    const std::weak_ptr<const lb::service_table> w_table = table;
    const std::weak_ptr<const vrrp::instance_config> w_cfg = cfg;
    const std::weak_ptr<const neighbour_map> w_map = map;
    std::unique_ptr<const snapshot> s;
    {
        snapshot_builder b = two_ports();
        b.add_vrrp(1, 4, std::move(cfg));
        b.set_services(std::move(table), {1, 1});
        b.set_neighbours(std::move(map));
        s = b.build();
    }
    EXPECT_FALSE(w_table.expired());
    EXPECT_FALSE(w_cfg.expired());
    EXPECT_FALSE(w_map.expired());
    EXPECT_EQ(s->services(), w_table.lock().get());
    EXPECT_EQ(s->ctx().services, w_table.lock().get());
    EXPECT_EQ(s->ctx().neighbours, w_map.lock().get());
    EXPECT_EQ(s->ports()[1].vrrp[0].cfg, w_cfg.lock().get());
    s.reset();
    EXPECT_TRUE(w_table.expired());
    EXPECT_TRUE(w_cfg.expired());
    EXPECT_TRUE(w_map.expired());
}

// build_own_filter() of the finished context: exactly the bits of the
// ports' addresses and every owned address, so may_be_ours() holds for
// each and the filter rejects something.
TEST(Snapshot, OwnFilterHasTheBitOfEveryOwnedAddress) {
    snapshot_builder b = two_ports();
    b.set_services(services(), {1, 1});
    const auto s = b.build();
    std::uint64_t want = 0;
    for (ipv4_addr a : {ext_addr, vip52, vip, int_addr, int_vip}) {
        want |= std::uint64_t{1} << own_filter_bit(a);
        EXPECT_TRUE(s->ctx().may_be_ours(a)) << a.to_string();
    }
    EXPECT_EQ(s->ctx().own_filter, want);
    EXPECT_NE(s->ctx().own_filter, ~std::uint64_t{0});
    unsigned rejected = 0;
    for (std::uint8_t i = 1; i < 200; ++i) {
        rejected += s->ctx().may_be_ours(ipv4_addr{198, 51, 100, i}) ? 0 : 1;
    }
    EXPECT_GT(rejected, 0u);
}

// build_rs_hops() of the finished context: one entry per real-server slot,
// each the rewrite a packet toward that server would get.
TEST(Snapshot, RsHopsHaveAnEntryPerRealServerSlot) {
    const std::vector<next_hop> nh{{router, router_mac, 0}, {rs_near, rs_near_mac, 1}};
    for (bool gateway : {true, false}) {
        SCOPED_TRACE(gateway ? "with a gateway" : "without a gateway");
        snapshot_builder b = two_ports(gateway);
        b.set_services(services(), {1, 1});
        b.set_neighbours(nh);
        const auto s = b.build();
        const auto hops = s->rs_hops();
        std::size_t slots = 0;
        for (const lb::real_server& r : s->services()->all_real_servers()) {
            slots = std::max<std::size_t>(slots, std::size_t{r.slot} + 1);
        }
        ASSERT_EQ(slots, 4u);
        ASSERT_EQ(hops.size(), slots);
        for (const lb::real_server& r : s->services()->all_real_servers()) {
            const rs_hop& h = hops[r.slot];
            EXPECT_EQ(h.rs, r.address) << "slot " << r.slot;
            if (r.address == rs_near) {
                EXPECT_TRUE(h.usable);
                EXPECT_EQ(h.out_port, 1u);
                EXPECT_EQ(h.dst, rs_near_mac);
                EXPECT_EQ(h.src, int_mac);
            } else if (r.address == rs_unknown) {
                EXPECT_FALSE(h.usable); // routed, but the next hop has no MAC
            } else {
                ASSERT_EQ(r.address, rs_far);
                EXPECT_EQ(h.usable, gateway); // via the router, or no route
                if (gateway) {
                    EXPECT_EQ(h.out_port, 0u);
                    EXPECT_EQ(h.dst, router_mac);
                    EXPECT_EQ(h.src, ext_mac);
                }
            }
        }
    }
}

TEST(Snapshot, WithoutServicesNothingOfTheLoadBalancer) {
    const auto s = two_ports().build();
    EXPECT_EQ(s->generation(), 0u);
    EXPECT_EQ(s->services(), nullptr);
    EXPECT_EQ(s->ctx().services, nullptr);
    EXPECT_EQ(s->ctx().neighbours, nullptr);
    EXPECT_TRUE(s->ctx().service_active.empty());
    EXPECT_TRUE(s->rs_hops().empty());
    EXPECT_TRUE(s->ctx().may_be_ours(vip52)); // the filter is built all the same
    const auto empty = snapshot_builder{}.build();
    EXPECT_TRUE(empty->ports().empty());
    EXPECT_EQ(empty->ctx().own_filter, 0u);
}

// The product is what process() takes: ARP for a VIP of a use_vmac
// instance is answered with the VMAC, a frame to the VMAC is accepted.
TEST(Snapshot, ProcessAnswersForWhatTheBuilderOwns) {
    const auto s = two_ports().build();
    std::vector<std::uint8_t> f(60);
    f.resize(net::build_arp_request(f, router_mac, router, vip52));
    ASSERT_EQ(describe(process(f, 0, s->ctx())), "reply");
    const net::arp_cview arp(std::span<const std::uint8_t>(f).subspan(net::eth_header_len));
    EXPECT_EQ(arp.sha(), vmac52);
    EXPECT_EQ(arp.spa(), vip52);
    std::vector<std::uint8_t> g(60);
    g.resize(net::build_arp_request(g, router_mac, router, int_vip));
    EXPECT_EQ(describe(process(g, 0, s->ctx())), "drop(arp_not_owned)"); // int0's, not ext0's
    EXPECT_EQ(describe(process(g, 1, s->ctx())), "reply");
}

} // namespace
} // namespace vipgate::pipeline
