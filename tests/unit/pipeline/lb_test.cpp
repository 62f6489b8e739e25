// The load-balancing path of pipeline::process() against its own shortcuts:
// the established-flow lookup before classification (a flow names its
// service by slot) and the per-snapshot Ethernet rewrite toward real servers
// (context::rs_hops) must give exactly what the general path gives, frame
// bytes included, also when a reload reused a slot for something else.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "lb/engine.hpp"
#include "lb/service_table.hpp"
#include "net/builder.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/snapshot.hpp"
#include "test_util.hpp"

namespace vipgate::pipeline {
namespace {

using net::ipv4_addr;
using net::mac_addr;
using test::describe;

const mac_addr ext_mac{{0x02, 0, 0, 0, 0, 0x01}};
const mac_addr int_mac{{0x02, 0, 0, 0, 0, 0x02}};
const mac_addr router_mac{{0x02, 0, 0, 0, 0, 0xfe}};
const ipv4_addr ext_addr{10, 0, 0, 1};
const ipv4_addr router{10, 0, 0, 254};
const ipv4_addr int_addr{172, 16, 0, 1};
const ipv4_addr vip{10, 0, 0, 100};
const ipv4_addr vip2{10, 0, 0, 101};

ipv4_addr rs_addr(unsigned k) {
    return ipv4_addr{172, 16, 0, static_cast<std::uint8_t>(11 + k)};
}
mac_addr rs_mac(unsigned k) {
    return {{0x02, 0, 0xac, 0x10, 0, static_cast<std::uint8_t>(11 + k)}};
}
ipv4_addr client(unsigned i) {
    return ipv4_addr{198, 18, 0, static_cast<std::uint8_t>(1 + i)};
}

lb::service_config service(ipv4_addr v, std::vector<unsigned> servers, std::uint16_t port = 80) {
    lb::service_config c;
    c.vip = v;
    c.port = port;
    c.scheduler = lb::scheduler_kind::rr;
    for (unsigned k : servers) {
        c.real_servers.push_back({rs_addr(k), 8080});
    }
    return c;
}

// Two ports (ext0 with the VIPs and a gateway, int0 with the real servers),
// static neighbours for the router and real servers 0, 1 and 3 (not 2), one
// worker's engine; the snapshot from pipeline::snapshot_builder, as the
// control core builds it. `hops` false: the context without the snapshot's
// precomputed rewrites and address filter (the general path).
struct setup {
    std::shared_ptr<const lb::service_table> services;
    std::unique_ptr<lb::engine> engine;
    std::unique_ptr<const snapshot> snap;
    context ctx; // snap->ctx(), less the shortcuts when !hops
    worker_state ws;
    bool hops = true;

    setup(std::vector<lb::service_config> cfgs, bool with_hops,
          const lb::table_limits& limits = {}) {
        auto e = lb::engine::create({.flow_capacity = 1024, .seed = 7});
        EXPECT_TRUE(e.ok());
        engine = std::make_unique<lb::engine>(std::move(*e));
        ws.engine = engine.get();
        ws.now = lb::time_point{lb::milliseconds{1000}};
        load(std::move(cfgs), with_hops, limits);
    }

    // A new snapshot of services (a reload), built against the current one;
    // every service active.
    void load(std::vector<lb::service_config> cfgs, bool with_hops,
              const lb::table_limits& limits) {
        auto t = lb::service_table::build(cfgs, limits, services.get());
        ASSERT_TRUE(t.ok()) << t.message();
        services = std::make_shared<const lb::service_table>(std::move(*t));
        hops = with_hops;
        publish(std::vector<std::uint8_t>(services->services().size(), 1));
    }

    // A new snapshot of the same services, `active` by service index.
    void publish(std::vector<std::uint8_t> active) {
        snapshot_builder b;
        const std::uint16_t ext = b.add_port(ext_mac, {ext_addr, 24}, router);
        b.add_owned(ext, {vip, ext_mac});
        b.add_owned(ext, {vip2, ext_mac});
        b.add_port(int_mac, {int_addr, 24});
        b.set_services(services, std::move(active));
        const std::vector<next_hop> nh{{router, router_mac, 0},
                                       {rs_addr(0), rs_mac(0), 1},
                                       {rs_addr(1), rs_mac(1), 1},
                                       {rs_addr(3), rs_mac(3), 1}};
        b.set_neighbours(nh);
        snap = b.build();
        ctx = snap->ctx();
        if (!hops) {
            ctx.rs_hops = {};
            ctx.own_filter = ~std::uint64_t{0};
        }
    }
};

std::vector<std::uint8_t> tcp(ipv4_addr src, std::uint16_t sport, ipv4_addr dst,
                              std::uint16_t dport, std::uint8_t flags, const mac_addr& to) {
    std::vector<std::uint8_t> f(128);
    const std::array<std::uint8_t, 6> payload{'h', 'e', 'l', 'l', 'o', '!'};
    f.resize(net::build_tcp_frame(f, {.dst = to, .src = {{0x02, 0, 0, 0, 0, 0x77}}},
                                  {.src = src, .dst = dst},
                                  {.src_port = sport,
                                   .dst_port = dport,
                                   .seq = 1000,
                                   .ack = 2000,
                                   .flags = flags,
                                   .payload = payload}));
    return f;
}

struct outcome {
    std::string verdict;
    std::vector<std::uint8_t> frame;
};

outcome run(setup& s, std::vector<std::uint8_t> f, std::uint16_t port) {
    const verdict v = process(f, port, s.ctx, s.ws);
    std::string d = describe(v);
    if (v.act == action::forward) {
        d += " rs " + std::to_string(v.rs_slot) + (v.new_flow ? " new" : "");
    }
    if (v.reason == drop_reason::no_neighbour) {
        d += " resolve " + v.resolve.to_string() + " on " + std::to_string(v.out_port);
    }
    return {d, f};
}

// The real server a forwarded frame went to (its new destination address).
ipv4_addr forwarded_to(const std::vector<std::uint8_t>& f) {
    return net::ipv4_cview(std::span<const std::uint8_t>(f).subspan(14)).dst();
}

TEST(PipelineLb, PrecomputedHopsChangeNothingButTheWork) {
    setup with({service(vip, {0, 1, 2})}, true);
    setup without({service(vip, {0, 1, 2})}, false);
    ASSERT_EQ(with.ctx.rs_hops.size(), 3u);
    EXPECT_TRUE(with.ctx.rs_hops[0].usable);
    EXPECT_FALSE(with.ctx.rs_hops[2].usable); // no neighbour entry
    EXPECT_TRUE(without.ctx.rs_hops.empty());
    unsigned forwarded = 0, unresolved = 0;
    for (unsigned i = 0; i < 12; ++i) {
        const auto cport = static_cast<std::uint16_t>(40000 + i);
        for (std::uint8_t flags :
             {net::tcp_flag_syn, net::tcp_flag_ack,
              static_cast<std::uint8_t>(net::tcp_flag_ack | net::tcp_flag_psh),
              static_cast<std::uint8_t>(net::tcp_flag_fin | net::tcp_flag_ack)}) {
            const auto f = tcp(client(i), cport, vip, 80, flags, ext_mac);
            const outcome a = run(with, f, 0);
            const outcome b = run(without, f, 0);
            EXPECT_EQ(a.verdict, b.verdict) << "client " << i;
            EXPECT_EQ(a.frame, b.frame) << "client " << i;
            forwarded += a.verdict.starts_with("forward") ? 1 : 0;
            unresolved += a.verdict.starts_with("drop(no_neighbour)") ? 1 : 0;
            if (flags == net::tcp_flag_syn && a.verdict.starts_with("forward")) {
                // The real server answers; the reply takes the general path.
                const auto r =
                    tcp(forwarded_to(a.frame), 8080, client(i), cport,
                        static_cast<std::uint8_t>(net::tcp_flag_syn | net::tcp_flag_ack), int_mac);
                const outcome ra = run(with, r, 1);
                const outcome rb = run(without, r, 1);
                EXPECT_TRUE(ra.verdict.starts_with("forward(port 0) rs ")) << ra.verdict;
                EXPECT_EQ(ra.verdict, rb.verdict);
                EXPECT_EQ(ra.frame, rb.frame);
            }
        }
    }
    EXPECT_EQ(forwarded, 32u);  // 8 clients on real servers 0 and 1
    EXPECT_EQ(unresolved, 16u); // 4 clients on real server 2
}

// A reload keeps flows of a removed service in the table (they drain), but
// their packets are no longer load-balancer traffic; the flow's service slot
// now holding another service must not make them so.
TEST(PipelineLb, FlowOfARemovedServiceIsNotForwardedEvenWhenItsSlotIsReused) {
    for (bool reuse : {false, true}) {
        SCOPED_TRACE(reuse ? "slot reused by another service of the VIP" : "service gone");
        const lb::table_limits one{.max_services = 1};
        setup s({service(vip, {0, 1})}, true, one);
        const auto syn = tcp(client(0), 40000, vip, 80, net::tcp_flag_syn, ext_mac);
        ASSERT_EQ(run(s, syn, 0).verdict, "forward(port 1) rs 0 new");
        // The same VIP on another port: the VIP filter lets the packet look
        // its flow up, whose slot names the new service.
        s.load(reuse ? std::vector<lb::service_config>{service(vip, {0, 1}, 81)}
                     : std::vector<lb::service_config>{},
               true, one);
        if (reuse) {
            ASSERT_EQ(s.services->services()[0].slot, 0u);
        }
        EXPECT_EQ(s.engine->flows().size(), 1u);
        const auto ack = tcp(client(0), 40000, vip, 80, net::tcp_flag_ack, ext_mac);
        EXPECT_EQ(run(s, ack, 0).verdict, "drop(no_service)");
    }
}

// A reload that gives a removed real server's slot to another server: the
// old server's flows still go to the old server (its neighbour entry), not
// through the slot's precomputed rewrite.
TEST(PipelineLb, DrainingFlowsKeepTheirServerWhenItsSlotIsReused) {
    const lb::table_limits two{.max_services = 4, .max_real_servers = 2};
    setup s({service(vip, {0, 1})}, true, two);
    std::vector<std::uint16_t> to_rs0;
    for (unsigned i = 0; i < 4; ++i) {
        const auto cport = static_cast<std::uint16_t>(40000 + i);
        const outcome o = run(s, tcp(client(i), cport, vip, 80, net::tcp_flag_syn, ext_mac), 0);
        ASSERT_TRUE(o.verdict.starts_with("forward(port 1)")) << o.verdict;
        if (forwarded_to(o.frame) == rs_addr(0)) {
            to_rs0.push_back(cport);
        }
    }
    ASSERT_FALSE(to_rs0.empty());
    const std::uint16_t slot0 = s.services->real_servers(s.services->services()[0])[0].slot;
    // Real server 0 leaves, real server 3 arrives and takes its slot.
    s.load({service(vip, {1, 3})}, true, two);
    const auto rs = s.services->real_servers(s.services->services()[0]);
    ASSERT_EQ(rs[1].address, rs_addr(3));
    ASSERT_EQ(rs[1].slot, slot0);
    ASSERT_TRUE(s.ctx.rs_hops[slot0].usable);
    for (std::uint16_t cport : to_rs0) {
        const unsigned i = cport - 40000u;
        const outcome o = run(s, tcp(client(i), cport, vip, 80, net::tcp_flag_ack, ext_mac), 0);
        EXPECT_EQ(o.verdict, "forward(port 1) rs " + std::to_string(slot0));
        EXPECT_EQ(forwarded_to(o.frame), rs_addr(0));
        const net::eth_cview eth(std::span<const std::uint8_t>(o.frame));
        EXPECT_EQ(eth.dst(), rs_mac(0));
        EXPECT_EQ(eth.src(), int_mac);
    }
}

// A reply is classified by its source endpoint: with two services sharing a
// real server, by the first service that has it (its VIP state decides),
// whichever service the flow was made for.
TEST(PipelineLb, ReplyFromASharedRealServerGoesByTheEndpointsFirstService) {
    setup s({service(vip, {0}), service(vip2, {0})}, true);
    const auto syn = tcp(client(0), 40000, vip2, 80, net::tcp_flag_syn, ext_mac);
    ASSERT_EQ(run(s, syn, 0).verdict, "forward(port 1) rs 1 new");
    const auto reply =
        tcp(rs_addr(0), 8080, client(0), 40000,
            static_cast<std::uint8_t>(net::tcp_flag_syn | net::tcp_flag_ack), int_mac);
    EXPECT_EQ(run(s, reply, 1).verdict, "forward(port 0) rs 1");
    s.publish({0, 1}); // the first VIP goes to a BACKUP elsewhere
    EXPECT_EQ(run(s, reply, 1).verdict, "drop(lb_backup)");
    s.publish({1, 0});
    EXPECT_EQ(run(s, reply, 1).verdict, "forward(port 0) rs 1");
}

// A reply from a real server that a reload removed is not load-balancer
// traffic any more, even when its flow's slot went to another server.
TEST(PipelineLb, ReplyFromARemovedRealServerIsNotForwardedWhenItsSlotIsReused) {
    const lb::table_limits two{.max_services = 4, .max_real_servers = 2};
    setup s({service(vip, {0, 1})}, true, two);
    const auto syn = tcp(client(0), 40000, vip, 80, net::tcp_flag_syn, ext_mac);
    const outcome o = run(s, syn, 0);
    ASSERT_EQ(o.verdict, "forward(port 1) rs 0 new");
    ASSERT_EQ(forwarded_to(o.frame), rs_addr(0));
    s.load({service(vip, {1, 3})}, true, two); // real server 3 takes slot 0
    const auto reply = tcp(rs_addr(0), 8080, client(0), 40000, net::tcp_flag_ack, int_mac);
    EXPECT_EQ(run(s, reply, 1).verdict, "drop(ipv4_not_owned)");
    // The server that holds the slot now has no flow with this client.
    const auto other = tcp(rs_addr(3), 8080, client(0), 40000, net::tcp_flag_ack, int_mac);
    EXPECT_EQ(run(s, other, 1).verdict, "drop(lb_reply_no_flow)");
}

// The staged burst (look_ahead, prefetch_flow, process with the lookahead)
// gives what frame-by-frame processing gives, also when earlier frames of
// a burst create or remove the flows of later ones, and with frames the
// lookahead does not cover (ARP, ICMP, IPv4 options, a VLAN tag).
TEST(PipelineLb, StagedBurstsGiveWhatFrameByFrameGives) {
    setup staged({service(vip, {0, 1, 2}), service(vip2, {0})}, true);
    setup plain({service(vip, {0, 1, 2}), service(vip2, {0})}, true);
    std::vector<std::pair<std::vector<std::uint8_t>, std::uint16_t>> frames;
    for (unsigned round = 0; round < 3; ++round) {
        for (unsigned i = 0; i < 10; ++i) {
            const auto cport = static_cast<std::uint16_t>(40000 + i);
            const ipv4_addr to = i % 3 == 0 ? vip2 : vip;
            frames.push_back({tcp(client(i), cport, to, 80, net::tcp_flag_syn, ext_mac), 0});
            frames.push_back({tcp(client(i), cport, to, 80, net::tcp_flag_ack, ext_mac), 0});
            for (unsigned k = 0; k < 3; ++k) { // replies from every server: one is the flow's
                frames.push_back(
                    {tcp(rs_addr(k), 8080, client(i), cport, net::tcp_flag_ack, int_mac), 1});
            }
            if (i % 4 == 1) {
                frames.push_back({tcp(client(i), cport, to, 80, net::tcp_flag_rst, ext_mac), 0});
            }
        }
        std::vector<std::uint8_t> arp(60);
        arp.resize(net::build_arp_request(arp, router_mac, router, vip));
        frames.push_back({arp, 0});
        std::vector<std::uint8_t> tagged(128);
        tagged.resize(
            net::build_tcp_frame(tagged, {.dst = ext_mac, .src = router_mac, .vlan_tci = 5},
                                 {.src = client(1), .dst = vip},
                                 {.src_port = 40001, .dst_port = 80, .flags = net::tcp_flag_ack}));
        frames.push_back({tagged, 0});
        const std::array<std::uint8_t, 4> nops{1, 1, 1, 0};
        std::vector<std::uint8_t> opts(128);
        opts.resize(
            net::build_tcp_frame(opts, {.dst = ext_mac, .src = router_mac},
                                 {.src = client(2), .dst = vip, .options = nops},
                                 {.src_port = 40002, .dst_port = 80, .flags = net::tcp_flag_ack}));
        frames.push_back({opts, 0});
    }
    unsigned forwarded = 0;
    for (std::size_t first = 0; first < frames.size(); first += 8) {
        const std::size_t n = std::min<std::size_t>(8, frames.size() - first);
        std::vector<std::vector<std::uint8_t>> a, b;
        std::array<lookahead, 8> la;
        for (std::size_t j = 0; j < n; ++j) {
            a.push_back(frames[first + j].first);
            b.push_back(frames[first + j].first);
            look_ahead(a[j], staged.ctx, staged.ws, la[j]);
        }
        for (std::size_t j = 0; j < n; ++j) {
            prefetch_flow(staged.ws, la[j]);
        }
        for (std::size_t j = 0; j < n; ++j) {
            const std::uint16_t port = frames[first + j].second;
            const verdict va = process(a[j], port, staged.ctx, staged.ws, la[j]);
            const verdict vb = process(b[j], port, plain.ctx, plain.ws);
            EXPECT_EQ(describe(va), describe(vb)) << "frame " << first + j;
            EXPECT_EQ(va.rs_slot, vb.rs_slot);
            EXPECT_EQ(va.new_flow, vb.new_flow);
            EXPECT_EQ(a[j], b[j]) << "frame " << first + j;
            forwarded += va.act == action::forward ? 1 : 0;
        }
        // Flows expire between rounds: lookaheads meet expired entries.
        staged.ws.now += lb::milliseconds{40000};
        plain.ws.now += lb::milliseconds{40000};
    }
    EXPECT_GT(forwarded, 40u);
    EXPECT_EQ(staged.engine->flows().size(), plain.engine->flows().size());
}

// The address filter only spares scans: a source that is one of ours is
// never forwarded, and traffic to a port's own address is the host's, with
// the filter built or not.
TEST(PipelineLb, OwnAddressesAreRecognisedWithTheFilterBuilt) {
    for (bool built : {true, false}) {
        SCOPED_TRACE(built ? "filter built" : "no filter");
        setup s({service(vip, {0, 1}), service(ext_addr, {0})}, built);
        EXPECT_EQ(run(s, tcp(vip2, 40000, vip, 80, net::tcp_flag_syn, ext_mac), 0).verdict,
                  "drop(ipv4_bad_src)");
        EXPECT_EQ(run(s, tcp(ext_addr, 40000, vip, 80, net::tcp_flag_syn, ext_mac), 0).verdict,
                  "drop(ipv4_bad_src)");
        EXPECT_EQ(run(s, tcp(int_addr, 40000, vip, 80, net::tcp_flag_syn, ext_mac), 0).verdict,
                  "drop(ipv4_bad_src)");
        // A service on the port's own address is not reachable: the host's.
        EXPECT_EQ(
            run(s, tcp(client(0), 40000, ext_addr, 80, net::tcp_flag_syn, ext_mac), 0).verdict,
            "drop(no_service)");
        EXPECT_EQ(run(s, tcp(client(0), 40000, vip, 80, net::tcp_flag_syn, ext_mac), 0).verdict,
                  "forward(port 1) rs 0 new");
    }
}

// Flow sync through the whole pipeline: flows exported by one node's engine
// and installed in another's (lib/lb's sync hooks) make the second node
// forward mid-flow packets and replies exactly as the first would, frame
// bytes included, once it holds the VIP; before that they are lb_backup and
// leave the synced flows as they are.
TEST(PipelineLb, SyncedFlowsForwardOnTheNodeThatTakesOver) {
    setup master({service(vip, {0, 1, 3})}, true);
    setup backup({service(vip, {0, 1, 3})}, true);
    backup.publish({0}); // BACKUP: the VIP is not held
    for (unsigned i = 0; i < 6; ++i) {
        const auto cport = static_cast<std::uint16_t>(40000 + i);
        const auto syn = tcp(client(i), cport, vip, 80, net::tcp_flag_syn, ext_mac);
        const outcome o = run(master, syn, 0);
        ASSERT_TRUE(o.verdict.starts_with("forward")) << o.verdict;
        const auto ack = tcp(client(i), cport, vip, 80, net::tcp_flag_ack, ext_mac);
        ASSERT_TRUE(run(master, ack, 0).verdict.starts_with("forward"));
    }
    std::vector<lb::flow_event> storage(64);
    lb::flow_event_buffer bulk(storage);
    lb::export_cursor cur;
    while (!cur.done) {
        master.engine->export_some(cur, 100, bulk, *master.services, master.ws.now);
    }
    ASSERT_EQ(bulk.size(), 6u);
    for (const lb::flow_event& e : bulk.events()) {
        ASSERT_EQ(backup.engine->install_synced(e, *backup.services, backup.ws.now),
                  lb::sync_refusal::none);
    }
    const auto data0 = tcp(client(0), 40000, vip, 80, net::tcp_flag_ack, ext_mac);
    EXPECT_EQ(run(backup, data0, 0).verdict, "drop(lb_backup)");
    backup.publish({1}); // takeover
    for (unsigned i = 0; i < 6; ++i) {
        SCOPED_TRACE("client " + std::to_string(i));
        const auto cport = static_cast<std::uint16_t>(40000 + i);
        const auto data =
            tcp(client(i), cport, vip, 80,
                static_cast<std::uint8_t>(net::tcp_flag_ack | net::tcp_flag_psh), ext_mac);
        const outcome m = run(master, data, 0);
        const outcome b = run(backup, data, 0);
        ASSERT_TRUE(m.verdict.starts_with("forward")) << m.verdict;
        EXPECT_EQ(b.verdict, m.verdict);
        EXPECT_EQ(b.frame, m.frame);
        const auto reply = tcp(forwarded_to(m.frame), 8080, client(i), cport,
                               static_cast<std::uint8_t>(net::tcp_flag_ack), int_mac);
        const outcome mr = run(master, reply, 1);
        const outcome br = run(backup, reply, 1);
        ASSERT_TRUE(mr.verdict.starts_with("forward(port 0)")) << mr.verdict;
        EXPECT_EQ(br.verdict, mr.verdict);
        EXPECT_EQ(br.frame, mr.frame);
    }
}

} // namespace
} // namespace vipgate::pipeline
