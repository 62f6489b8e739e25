// Flow-state sync on the control core (sync_manager): two control planes
// over two fake shells, the frames one sends put through the other's
// pipeline (so the snapshot's sync endpoint is what punts them) and handed
// over as its punts. The fake shells play the workers: flow events in,
// installs and export walks out.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <sstream>
#include <string>

#include "config/config.hpp"
#include "control/control_plane.hpp"
#include "fake_shell.hpp"
#include "net/builder.hpp"
#include "pipeline/pipeline.hpp"

namespace vipgate::control {
namespace {

using namespace std::chrono_literals;
using testing::fake_shell;

std::string node_yaml(const std::string& address, const std::string& sync_extra = {}) {
    return R"(
ports:
  - name: ext0
    device: net_null0
    address: )" +
           address + R"(/24
virtual_servers:
  - address: 10.0.0.100
    port: 80
    protocol: tcp
    lb_algo: rr
    real_servers:
      - address: 10.0.0.11
        port: 8080
sync:
  port: ext0
  id: 7
)" + sync_extra;
}

// One vipgate: its shell (the workers) and its control plane.
struct node {
    config::config cfg;
    std::unique_ptr<fake_shell> sh;
    std::unique_ptr<control_plane> cp;

    node(const std::string& yaml, const usec& clock) {
        auto c = config::load_string(yaml);
        if (!c.ok()) {
            ADD_FAILURE() << c.message();
            std::abort();
        }
        cfg = c.value();
        sh = std::make_unique<fake_shell>(cfg, 2, true);
        sh->sync_on = true;
        cp = std::make_unique<control_plane>(cfg, *sh, [&clock] { return clock; });
        auto in = cp->init();
        EXPECT_TRUE(in.ok()) << (in.ok() ? "" : in.message());
    }
    sync_manager& sync() { return *cp->sync(); }
};

// Two nodes on one link, and the clock.
struct pair {
    usec t{1000s};
    std::unique_ptr<node> a, b;
    std::uint64_t carried = 0;
    std::uint64_t dropped_every = 0; // > 0: every n-th sync frame is lost

    pair() {
        a = std::make_unique<node>(node_yaml("10.0.0.2"), t);
        b = std::make_unique<node>(node_yaml("10.0.0.3"), t);
    }
    void restart_b() {
        b.reset();
        b = std::make_unique<node>(node_yaml("10.0.0.3"), t);
    }
    // Frames from one node to the other, through the receiver's pipeline.
    void carry(node& from, node& to) {
        for (auto& f : from.sh->take_sent()) {
            auto bytes = f.bytes;
            const auto v = pipeline::process(bytes, f.port, to.sh->current().ctx());
            if (v.act != pipeline::action::punt || v.punt != pipeline::punt_kind::sync) {
                continue;
            }
            ++carried;
            if (dropped_every != 0 && carried % dropped_every == 0) {
                continue;
            }
            to.sh->inject_punt(f.port, pipeline::punt_kind::sync, f.bytes);
        }
    }
    void advance(usec d, usec step = 1ms) {
        const usec end = t + d;
        while (t < end) {
            t += step;
            a->cp->run_once(usec{0});
            b->cp->run_once(usec{0});
            carry(*a, *b);
            carry(*b, *a);
        }
    }
};

lb::flow_event flow(std::uint16_t client_port, lb::flow_event_kind kind = lb::flow_event_kind::add,
                    net::ipv4_addr vip = net::ipv4_addr{10, 0, 0, 100}) {
    lb::flow_event e;
    e.kind = kind;
    e.proto = lb::protocol::tcp;
    e.state = lb::flow_state::established;
    e.client = net::ipv4_addr{192, 168, 1, 5};
    e.client_port = client_port;
    e.vip = vip;
    e.vport = 80;
    e.rs = net::ipv4_addr{10, 0, 0, 11};
    e.rs_port = 8080;
    e.timeout_ms = kind == lb::flow_event_kind::remove ? 0 : 900000;
    return e;
}

const sync_peer_row* peer_of(const sync_report& r, const std::string& address) {
    for (const auto& p : r.peers) {
        if (p.address == address) {
            return &p;
        }
    }
    return nullptr;
}

TEST(ControlSync, NoSyncSectionNoSyncManagerAndNoSyncEndpoint) {
    usec t{1000s};
    auto yaml = node_yaml("10.0.0.2");
    yaml = yaml.substr(0, yaml.find("sync:"));
    node n(yaml, t);
    EXPECT_EQ(n.cp->sync(), nullptr);
    EXPECT_EQ(n.sh->current().ctx().sync.udp_port, 0) << "nothing is punted as sync";
    EXPECT_FALSE(n.cp->report_sync()["enabled"].get<bool>());
}

TEST(ControlSync, TheSnapshotCarriesTheSyncEndpoint) {
    pair p;
    const auto& se = p.a->sh->current().ctx().sync;
    EXPECT_EQ(se.port, 0);
    EXPECT_EQ(se.address, (net::ipv4_addr{10, 0, 0, 2}));
    EXPECT_EQ(se.group, (net::ipv4_addr{224, 0, 0, 84}));
    EXPECT_EQ(se.udp_port, 8847);
}

TEST(ControlSync, FlowsEmittedOnAAreInstalledOnB) {
    pair p;
    p.advance(50ms); // first contact both ways, empty bulks
    const auto ra = p.a->cp->sync_status();
    const auto* bseen = peer_of(ra, "10.0.0.3");
    ASSERT_NE(bseen, nullptr);
    EXPECT_EQ(bseen->state, "in-sync");
    EXPECT_TRUE(p.b->sync().in_sync());

    for (std::uint16_t port = 1000; port < 1300; ++port) {
        p.a->sh->events.push_back(flow(port));
    }
    p.a->sh->events.push_back(flow(1000, lb::flow_event_kind::remove));
    p.advance(100ms);
    const auto& got = p.b->sh->installed;
    ASSERT_EQ(got.size(), 301u);
    for (std::uint16_t i = 0; i < 300; ++i) {
        EXPECT_EQ(got[i], flow(static_cast<std::uint16_t>(1000 + i))) << i;
    }
    EXPECT_EQ(got.back(), flow(1000, lb::flow_event_kind::remove));
    EXPECT_TRUE(p.a->sh->installed.empty()) << "nothing came back";
    // Every frame was a multicast from the port address, TTL 255.
    EXPECT_EQ(p.b->sync().refused(sync_wire_refusal::bad_ttl), 0u);
    const auto rb = p.b->cp->sync_status();
    const auto* aseen = peer_of(rb, "10.0.0.2");
    ASSERT_NE(aseen, nullptr);
    EXPECT_GE(aseen->records_received, 301u);
    EXPECT_EQ(p.a->sync().session().unacked(), 0u) << "B acknowledged everything";
}

TEST(ControlSync, LossOnTheLinkIsRepairedByRetransmission) {
    pair p;
    p.advance(50ms);
    p.dropped_every = 5;
    for (std::uint16_t port = 2000; port < 4000; ++port) {
        p.a->sh->events.push_back(flow(port));
    }
    p.advance(3s);
    ASSERT_EQ(p.b->sh->installed.size(), 2000u);
    for (std::uint16_t i = 0; i < 2000; ++i) {
        EXPECT_EQ(p.b->sh->installed[i].client_port, 2000 + i);
    }
    EXPECT_GT(p.a->sync().session().counters().retransmitted, 0u);
}

TEST(ControlSync, ARestartedBGetsTheWholeTableByBulkResync) {
    pair p;
    p.advance(50ms);
    for (std::uint16_t port = 5000; port < 5500; ++port) {
        p.a->sh->table.push_back(flow(port));
    }
    p.restart_b(); // empty table, new epoch
    EXPECT_TRUE(p.b->sh->installed.empty());
    p.advance(200ms);
    EXPECT_GE(p.a->sh->exports_requested, 1u);
    const auto& got = p.b->sh->installed;
    ASSERT_EQ(got.size(), 500u);
    for (std::uint16_t i = 0; i < 500; ++i) {
        lb::flow_event want = flow(static_cast<std::uint16_t>(5000 + i));
        want.flags = lb::flow_event::flag_copy; // a bulk record never overrides a local flow
        EXPECT_EQ(got[i], want) << i;
    }
    EXPECT_TRUE(p.b->sync().in_sync());
    const auto rb = p.b->cp->sync_status();
    const auto* aseen = peer_of(rb, "10.0.0.2");
    ASSERT_NE(aseen, nullptr);
    EXPECT_EQ(aseen->state, "in-sync");
    EXPECT_EQ(aseen->last_bulk_records, 500u);
    EXPECT_EQ(p.b->cp->report_sync()["peers"][0]["bulk"]["last_records"].get<std::uint32_t>(),
              500u);
}

// The bulk is rate-bounded, the incremental stream is not: a flow deleted on
// A after its export walk read it reaches B as a delete first and as a bulk
// record later. B must not install that stale copy.
TEST(ControlSync, ADeleteThatOvertakesItsBulkRecordWins) {
    pair p;
    p.a = std::make_unique<node>(node_yaml("10.0.0.2", "  bulk_rate: 1000\n"), p.t);
    p.advance(50ms);
    for (std::uint16_t port = 6000; port < 6300; ++port) {
        p.a->sh->table.push_back(flow(port));
    }
    p.restart_b();
    p.advance(50ms); // about 50 bulk records are across
    ASSERT_TRUE(p.a->sync().session().serving_bulk());
    p.a->sh->events.push_back(flow(6250, lb::flow_event_kind::remove));
    // 6260 is deleted and then created again: the new flow's add counts.
    p.a->sh->events.push_back(flow(6260, lb::flow_event_kind::remove));
    p.a->sh->events.push_back(flow(6260));
    p.advance(500ms);
    ASSERT_TRUE(p.b->sync().in_sync());
    const auto& got = p.b->sh->installed;
    const auto at = [&got](std::uint16_t port, lb::flow_event_kind k) {
        return std::find_if(got.begin(), got.end(), [&](const lb::flow_event& e) {
            return e.client_port == port && e.kind == k;
        });
    };
    ASSERT_NE(at(6250, lb::flow_event_kind::remove), got.end());
    EXPECT_EQ(std::count_if(got.begin(), got.end(),
                            [](const lb::flow_event& e) {
                                return e.client_port == 6250 && e.kind == lb::flow_event_kind::add;
                            }),
              0)
        << "the stale bulk copy of 6250 was installed";
    // 6260's bulk record is the old flow's: the new flow's add is newer.
    EXPECT_EQ(p.b->sync().refused(sync_wire_refusal::bulk_overtaken), 2u);
    const auto re = at(6260, lb::flow_event_kind::add);
    ASSERT_NE(re, got.end()) << "the re-created flow is there";
    EXPECT_EQ(re->flags, 0) << "from the incremental stream, not the bulk";
    EXPECT_EQ(got.size(), 300u - 2u /* bulk records of 6250, 6260 */ + 3u /* 2 removes, 1 add */);
}

TEST(ControlSync, ARecordForAnUnknownVipIsRefusedAndCounted) {
    pair p;
    p.advance(50ms);
    p.a->sh->events.push_back(flow(1000, lb::flow_event_kind::add, net::ipv4_addr{10, 0, 0, 200}));
    p.a->sh->events.push_back(flow(1001));
    p.advance(50ms);
    ASSERT_EQ(p.b->sh->installed.size(), 1u);
    EXPECT_EQ(p.b->sh->installed[0].client_port, 1001);
    EXPECT_EQ(p.b->sync().refused(sync_wire_refusal::no_service), 1u);
    EXPECT_EQ(p.b->cp->report_sync()["refused"]["no_service"].get<std::uint64_t>(), 1u);
}

// Datagrams from off the link: another subnet, or a TTL a router lowered.
TEST(ControlSync, MulticastFromOffTheLinkIsRefused) {
    pair p;
    p.advance(50ms);
    p.a->sh->events.push_back(flow(1000));
    // A alone: its data message (header byte 5, type 1) stays with the test.
    std::vector<std::uint8_t> data;
    net::packet_meta m;
    for (int i = 0; i < 30 && data.empty(); ++i) {
        p.t += 1ms;
        p.a->cp->run_once(usec{0});
        for (auto& f : p.a->sh->take_sent()) {
            if (net::parse(f.bytes, m) == pipeline::drop_reason::none &&
                m.ip_proto == net::ip_proto_udp && f.bytes[m.l4_offset + 8 + 5] == 1) {
                data = f.bytes;
                break;
            }
        }
    }
    ASSERT_FALSE(data.empty());
    const auto payload = std::span<const std::uint8_t>(data).subspan(
        m.l4_offset + net::udp_header_len, m.l4_len - net::udp_header_len);
    const auto resend = [&](net::ipv4_addr src, std::uint8_t ttl) {
        std::vector<std::uint8_t> f(1600);
        f.resize(net::build_udp_frame(
            f, {.dst = net::mac_addr{{0x01, 0, 0x5e, 0, 0, 0x54}}, .src = p.a->sh->ports()[0].mac},
            {.src = src, .dst = net::ipv4_addr{224, 0, 0, 84}, .ttl = ttl},
            {.src_port = 8847, .dst_port = 8847, .payload = payload}));
        p.b->sh->inject_punt(0, pipeline::punt_kind::sync, f);
        p.b->cp->run_once(usec{0});
    };
    resend(net::ipv4_addr{10, 9, 0, 2}, 255);
    EXPECT_EQ(p.b->sync().refused(sync_wire_refusal::off_subnet), 1u);
    resend(net::ipv4_addr{10, 0, 0, 2}, 254);
    EXPECT_EQ(p.b->sync().refused(sync_wire_refusal::bad_ttl), 1u);
    EXPECT_TRUE(p.b->sh->installed.empty());
    resend(net::ipv4_addr{10, 0, 0, 2}, 255);
    EXPECT_EQ(p.b->sh->installed.size(), 1u) << "the same message from on the link is taken";
}

TEST(ControlSync, UnicastPeersOnlyFromTheirAddress) {
    usec t{1000s};
    node b(node_yaml("10.0.0.3", "  peers: [10.0.0.2]\n"), t);
    EXPECT_EQ(b.sh->current().ctx().sync.group.value, 0u) << "no group with unicast peers";
    std::vector<std::uint8_t> f(200);
    const std::uint8_t junk[60] = {};
    f.resize(net::build_udp_frame(
        f, {.dst = b.sh->ports()[0].mac, .src = net::mac_addr{{0x02, 0, 0, 0, 0, 9}}},
        {.src = net::ipv4_addr{10, 0, 0, 9}, .dst = net::ipv4_addr{10, 0, 0, 3}, .ttl = 64},
        {.src_port = 8847, .dst_port = 8847, .payload = junk}));
    b.sh->inject_punt(0, pipeline::punt_kind::sync, f);
    b.cp->run_once(usec{0});
    EXPECT_EQ(b.sync().refused(sync_wire_refusal::unknown_address), 1u);
}

// A node whose sync peer never completes a bulk resync (here: no peer at
// all): two VRRP instances, `sync.instance` gates VI_2 only.
std::string gated_yaml(const std::string& sync_extra) {
    return node_yaml("10.0.0.2", sync_extra) + R"(vrrp_instances:
  - name: VI_1
    port: ext0
    virtual_router_id: 51
    priority: 200
    advert_int: 1s
    virtual_ipaddress: [10.0.0.100]
  - name: VI_2
    port: ext0
    virtual_router_id: 52
    priority: 200
    advert_int: 1s
    virtual_ipaddress: [10.0.0.101]
)";
}

void run_for(node& n, usec& t, usec d) {
    const usec end = t + d;
    while (t < end) {
        t += 5ms;
        n.cp->run_once(usec{0});
    }
}

TEST(ControlSync, PreemptionHoldEndsAtTheConfiguredResyncTimeout) {
    std::ostringstream log;
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
    spdlog::default_logger()->sinks().push_back(sink);
    usec t{1000s};
    node n(gated_yaml("  resync_timeout: 2s\n"), t);
    EXPECT_EQ(n.cfg.sync->resync_timeout, 2s);
    EXPECT_TRUE(n.cp->vrrp()->preemption_held("VI_1"));
    EXPECT_TRUE(n.cp->vrrp()->preemption_held("VI_2"));
    run_for(n, t, 1900ms);
    EXPECT_FALSE(n.sync().in_sync());
    EXPECT_TRUE(n.cp->vrrp()->preemption_held("VI_1"));
    EXPECT_TRUE(n.cp->sync_status().preemption_held);
    EXPECT_EQ(n.cp->sync_status().resync_timeouts, 0u);
    run_for(n, t, 200ms);
    EXPECT_FALSE(n.cp->vrrp()->preemption_held("VI_1"));
    EXPECT_FALSE(n.cp->vrrp()->preemption_held("VI_2"));
    const sync_report r = n.cp->sync_status();
    EXPECT_FALSE(r.preemption_held);
    EXPECT_EQ(r.resync_timeouts, 1u);
    EXPECT_EQ(r.resync_timeout_ms, 2000u);
    EXPECT_TRUE(r.instance.empty());
    const json j = n.cp->report_sync();
    EXPECT_EQ(j["resync_timeouts"].get<std::uint64_t>(), 1u);
    EXPECT_FALSE(j["in_sync_for_takeover"].get<bool>());
    // Once: the hold does not come back.
    run_for(n, t, 3s);
    EXPECT_EQ(n.cp->sync_status().resync_timeouts, 1u);
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink), sinks.end());
    const std::string text = log.str();
    EXPECT_NE(text.find("bulk resync not complete after resync_timeout 2000 ms: VRRP may preempt "
                        "anyway"),
              std::string::npos)
        << text;
}

TEST(ControlSync, TheDefaultResyncTimeoutIsThirtySeconds) {
    usec t{1000s};
    node n(gated_yaml(""), t);
    run_for(n, t, 29s);
    EXPECT_TRUE(n.cp->vrrp()->preemption_held("VI_1"));
    run_for(n, t, 1100ms);
    EXPECT_FALSE(n.cp->vrrp()->preemption_held("VI_1"));
    EXPECT_EQ(n.cp->sync_status().resync_timeouts, 1u);
}

TEST(ControlSync, SyncInstanceGatesOnlyThatInstance) {
    usec t{1000s};
    node n(gated_yaml("  instance: VI_2\n  resync_timeout: 1s\n"), t);
    EXPECT_FALSE(n.cp->vrrp()->preemption_held("VI_1"));
    EXPECT_TRUE(n.cp->vrrp()->preemption_held("VI_2"));
    sync_report r = n.cp->sync_status();
    EXPECT_EQ(r.instance, "VI_2");
    EXPECT_EQ(r.instance_state, "BACKUP");
    EXPECT_TRUE(r.preemption_held);
    EXPECT_FALSE(r.in_sync);
    const json j = n.cp->report_sync();
    EXPECT_EQ(j["instance"].get<std::string>(), "VI_2");
    EXPECT_EQ(j["instance_state"].get<std::string>(), "BACKUP");
    // Only the gated instance's takeovers while not in sync are counted.
    n.cp->before_takeover("VI_1");
    EXPECT_EQ(n.cp->sync_status().takeovers_not_in_sync, 0u);
    n.cp->before_takeover("VI_2");
    EXPECT_EQ(n.cp->sync_status().takeovers_not_in_sync, 1u);
    run_for(n, t, 1100ms);
    EXPECT_FALSE(n.cp->vrrp()->preemption_held("VI_2"));
    EXPECT_EQ(n.cp->sync_status().resync_timeouts, 1u);
}

TEST(ControlSync, AReloadThatRebuildsAnInstanceKeepsTheHold) {
    usec t{1000s};
    node n(gated_yaml("  resync_timeout: 5s\n"), t);
    run_for(n, t, 1s);
    ASSERT_TRUE(n.cp->vrrp()->preemption_held("VI_1"));
    std::string yaml = gated_yaml("  resync_timeout: 5s\n");
    yaml.replace(yaml.find("priority: 200"), 13, "priority: 150");
    auto next = config::load_string(yaml);
    ASSERT_TRUE(next.ok()) << next.message();
    auto res = n.cp->reload(next.value());
    ASSERT_TRUE(res.ok()) << res.message();
    EXPECT_NE(res->find("1 started"), std::string::npos) << *res;
    EXPECT_TRUE(n.cp->vrrp()->preemption_held("VI_1")) << "the rebuilt instance is held";
    EXPECT_TRUE(n.cp->vrrp()->preemption_held("VI_2"));
    run_for(n, t, 4100ms);
    EXPECT_FALSE(n.cp->vrrp()->preemption_held("VI_1")) << "until resync_timeout, as before";
}

TEST(ControlSync, APairInSyncReleasesTheHoldBeforeTheBound) {
    pair p;
    p.advance(1s);
    ASSERT_TRUE(p.b->sync().in_sync());
    const sync_report r = p.b->cp->sync_status();
    EXPECT_FALSE(r.preemption_held);
    EXPECT_EQ(r.resync_timeouts, 0u);
}

} // namespace
} // namespace vipgate::control
