// Flow-sync hooks of the engine (flow_sync.hpp): events out on exactly the
// state changes, a full buffer drops and counts, records in (round trip
// from one engine to another, every refusal), the bulk export walk and the
// refresh sweep. Fake clock throughout.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <vector>

#include "lb/engine.hpp"
#include "test_util.hpp"

namespace vipgate::lb {
namespace {

using net::ipv4_addr;
using test::at;
using namespace std::chrono_literals;

constexpr std::uint8_t SYN = net::tcp_flag_syn;
constexpr std::uint8_t ACK = net::tcp_flag_ack;
constexpr std::uint8_t FIN = net::tcp_flag_fin;
constexpr std::uint8_t RST = net::tcp_flag_rst;

const ipv4_addr vip{192, 168, 44, 150};
const ipv4_addr client{203, 0, 113, 7};
const ipv4_addr rs_a{172, 18, 0, 2};
const ipv4_addr rs_b{172, 18, 0, 3};
const ipv4_addr rs_c{172, 18, 0, 4};

service_config web(seconds persistence = 0s, protocol p = protocol::tcp) {
    return {.vip = vip,
            .port = 80,
            .proto = p,
            .scheduler = scheduler_kind::rr,
            .persistence_timeout = persistence,
            .real_servers = {{.address = rs_a, .port = 8080},
                             {.address = rs_b, .port = 8080},
                             {.address = rs_c, .port = 8080}}};
}

engine make_engine(engine_config cfg = {}) {
    if (cfg.flow_capacity == (1u << 20)) {
        cfg.flow_capacity = 1024;
    }
    if (cfg.persistence_capacity == (1u << 16)) {
        cfg.persistence_capacity = 256;
    }
    auto e = engine::create(cfg);
    EXPECT_TRUE(e.ok()) << e.message();
    return std::move(e).value();
}

service_table make_table(std::vector<service_config> cfg) {
    auto t = service_table::build(cfg);
    EXPECT_TRUE(t.ok()) << t.message();
    return std::move(t).value();
}

// An engine with its event buffer attached.
struct node {
    engine eng;
    service_table table;
    std::vector<flow_event> storage;
    flow_event_buffer out;

    explicit node(std::vector<service_config> cfg, engine_config ec = {}, std::size_t buffer = 256)
        : eng(make_engine(ec)), table(make_table(std::move(cfg))), storage(buffer), out(storage) {
        eng.attach_sync(&out, at(0ms));
    }
    verdict fwd(ipv4_addr from, std::uint16_t port, std::uint8_t flags, time_point now) {
        auto f = test::tcp_frame(from, port, vip, 80, flags);
        return eng.forward(f.span(), f.meta, table, now);
    }
    verdict back(ipv4_addr rs, ipv4_addr to, std::uint16_t port, std::uint8_t flags,
                 time_point now) {
        auto f = test::tcp_frame(rs, 8080, to, port, flags);
        return eng.reply(f.span(), f.meta, now);
    }
    // The events so far, then an empty buffer.
    std::vector<flow_event> take() {
        std::vector<flow_event> v(out.events().begin(), out.events().end());
        out.clear();
        return v;
    }
    const flow* find(ipv4_addr c, std::uint16_t port, time_point now) {
        return eng.flows().find_forward({c, vip, port, 80, protocol::tcp}, now);
    }
    rs_counts counts(std::size_t rs_index) {
        return eng.scheduler().counts(table.real_servers(table.services()[0])[rs_index].slot);
    }
};

std::vector<flow_event_kind> kinds(const std::vector<flow_event>& v) {
    std::vector<flow_event_kind> k;
    for (const auto& e : v) {
        k.push_back(e.kind);
    }
    return k;
}

using K = flow_event_kind;

TEST(flow_sync, entry_does_not_grow) {
    EXPECT_EQ(sizeof(flow), 36u);
    EXPECT_EQ(flow_table::bytes_per_flow(), 44u);
    EXPECT_EQ(sizeof(flow_event), 28u);
}

// One TCP connection step by step: which packet emits which event.
struct step {
    const char* what;
    bool reply; // from the real server
    std::uint8_t flags;
    milliseconds t;
    std::vector<K> expected;
    flow_state state; // of the last event, when there is one
};

TEST(flow_sync, tcp_connection_emits_exactly_on_state_changes) {
    node n({web()});
    const std::vector<step> steps = {
        // SYN_RECV is not announced (announced_state): no record yet.
        {"syn", false, SYN, 0ms, {}, {}},
        {"syn retransmitted", false, SYN, 1ms, {}, {}},
        {"syn+ack", true, SYN | ACK, 2ms, {}, {}},
        {"ack", false, ACK, 3ms, {K::state_change}, flow_state::established},
        {"data", false, ACK, 4ms, {}, {}},
        {"data reply", true, ACK, 5ms, {}, {}},
        {"data again", false, ACK, 6ms, {}, {}},
        {"client fin", false, FIN | ACK, 7ms, {K::state_change}, flow_state::close_wait},
        {"server fin", true, FIN | ACK, 8ms, {K::state_change}, flow_state::time_wait},
        {"last ack", false, ACK, 9ms, {}, {}},
    };
    for (const auto& s : steps) {
        const verdict v = s.reply ? n.back(rs_a, client, 40000, s.flags, at(s.t))
                                  : n.fwd(client, 40000, s.flags, at(s.t));
        ASSERT_TRUE(v.ok()) << s.what << ": " << drop_reason_name(v.reason);
        const auto ev = n.take();
        EXPECT_EQ(kinds(ev), s.expected) << s.what;
        if (!ev.empty()) {
            const flow_event& e = ev.back();
            EXPECT_EQ(e.state, s.state) << s.what;
            EXPECT_EQ(e.timeout_ms, n.eng.flows().timeout_of(s.state).count()) << s.what;
            EXPECT_EQ(e.client, client);
            EXPECT_EQ(e.client_port, 40000);
            EXPECT_EQ(e.vip, vip);
            EXPECT_EQ(e.vport, 80);
            EXPECT_EQ(e.rs, rs_a);
            EXPECT_EQ(e.rs_port, 8080);
            EXPECT_EQ(e.proto, protocol::tcp);
        }
    }
    // TIME_WAIT: 120 s, then the sweep removes it.
    n.eng.expire(at(9ms + 120s), 4096);
    const auto ev = n.take();
    ASSERT_EQ(kinds(ev), (std::vector<K>{K::remove}));
    EXPECT_EQ(ev[0].timeout_ms, 0u);
    EXPECT_EQ(ev[0].state, flow_state::time_wait);
}

TEST(flow_sync, udp_flow_emits_add_then_nothing_until_removed) {
    node n({web(0s, protocol::udp)});
    auto q = test::udp_frame(client, 5353, vip, 80);
    ASSERT_TRUE(n.eng.forward(q.span(), q.meta, n.table, at(0ms)).ok());
    auto ev = n.take();
    ASSERT_EQ(kinds(ev), (std::vector<K>{K::add}));
    EXPECT_EQ(ev[0].state, flow_state::udp);
    EXPECT_EQ(ev[0].timeout_ms, 300000u);
    auto a = test::udp_frame(rs_a, 8080, client, 5353);
    ASSERT_TRUE(n.eng.reply(a.span(), a.meta, at(1ms)).ok());
    auto q2 = test::udp_frame(client, 5353, vip, 80);
    ASSERT_TRUE(n.eng.forward(q2.span(), q2.meta, n.table, at(2ms)).ok());
    EXPECT_TRUE(n.take().empty());
    n.eng.expire(at(2ms + 300s), 4096);
    EXPECT_EQ(kinds(n.take()), (std::vector<K>{K::remove}));
}

TEST(flow_sync, connection_reuse_and_take_over_emit_remove_then_add) {
    node n({web()});
    ASSERT_TRUE(n.fwd(client, 7, SYN, at(0ms)).ok());
    ASSERT_TRUE(n.fwd(client, 7, RST, at(1ms)).ok());        // SYN_RECV + client RST: stays (IPVS)
    ASSERT_TRUE(n.back(rs_a, client, 7, RST, at(2ms)).ok()); // CLOSE
    // CLOSE is a sync state: its state_change is the flow's first record.
    auto ev = n.take();
    ASSERT_EQ(kinds(ev), (std::vector<K>{K::state_change}));
    EXPECT_EQ(ev[0].state, flow_state::close);
    // A new SYN on the closed flow: reuse. The old flow was announced, so
    // its removal is; the new one, in SYN_RECV, is not yet.
    ASSERT_TRUE(n.fwd(client, 7, SYN, at(3ms)).ok());
    ev = n.take();
    ASSERT_EQ(kinds(ev), (std::vector<K>{K::remove}));
    EXPECT_EQ(ev[0].rs, rs_a);
    // Timed out (SYN_RECV 60 s), not swept: a new SYN takes its entry over.
    // Neither the old half-open flow nor the new one was ever announced.
    ASSERT_TRUE(n.fwd(client, 7, SYN, at(3ms + 60s)).ok());
    EXPECT_TRUE(n.take().empty());
    EXPECT_EQ(n.eng.flows().stats().taken_over, 1u);
    // The handshake completes: now the flow is announced, on rs_c.
    ASSERT_TRUE(n.back(rs_c, client, 7, SYN | ACK, at(4ms + 60s)).ok());
    ASSERT_TRUE(n.fwd(client, 7, ACK, at(5ms + 60s)).ok());
    ev = n.take();
    ASSERT_EQ(kinds(ev), (std::vector<K>{K::state_change}));
    EXPECT_EQ(ev[0].rs, rs_c);
    EXPECT_EQ(ev[0].state, flow_state::established);
}

TEST(flow_sync, persistence_template_is_announced_when_created) {
    node n({web(60s)});
    ASSERT_TRUE(n.fwd(client, 1000, SYN, at(0ms)).ok());
    auto ev = n.take();
    ASSERT_EQ(kinds(ev), (std::vector<K>{K::persist}));
    EXPECT_EQ(ev[0].client, client);
    EXPECT_EQ(ev[0].client_port, 0);
    EXPECT_EQ(ev[0].rs, rs_a);
    EXPECT_EQ(ev[0].timeout_ms, 60000u);
    // The template is used, not changed: only the flow.
    ASSERT_TRUE(n.fwd(client, 1001, SYN, at(1ms)).ok());
    EXPECT_TRUE(n.take().empty()) << "the flow is in SYN_RECV: not announced yet";
    // Its server drained: the template is re-pointed, and says so.
    auto cfg = web(60s);
    cfg.real_servers[0].weight = 0;
    n.table = service_table::build(std::vector{cfg}, {}, &n.table).value();
    ASSERT_TRUE(n.fwd(client, 1002, SYN, at(2ms)).ok());
    ev = n.take();
    ASSERT_EQ(kinds(ev), (std::vector<K>{K::persist}));
    EXPECT_EQ(ev[0].rs, rs_b);
}

TEST(flow_sync, off_by_default_and_detachable) {
    auto eng = make_engine();
    const auto table = make_table({web()});
    EXPECT_EQ(eng.flows().events(), nullptr);
    auto f = test::tcp_frame(client, 1, vip, 80, SYN);
    ASSERT_TRUE(eng.forward(f.span(), f.meta, table, at(0ms)).ok());
    EXPECT_EQ(eng.sync_refresh(at(1h)), 0u);
    std::vector<flow_event> storage(4);
    flow_event_buffer out(storage);
    eng.attach_sync(&out, at(0ms));
    eng.attach_sync(nullptr, at(0ms));
    auto g = test::tcp_frame(client, 2, vip, 80, SYN);
    ASSERT_TRUE(eng.forward(g.span(), g.meta, table, at(0ms)).ok());
    EXPECT_EQ(out.size(), 0u);
}

TEST(flow_sync, a_full_buffer_drops_and_counts_and_forwarding_goes_on) {
    // UDP flows: announced from their first packet (a TCP flow waits for
    // its handshake).
    node n({web(0s, protocol::udp)}, {}, 2);
    auto udp = [&](std::uint16_t p) {
        auto f = test::udp_frame(client, p, vip, 80);
        return n.eng.forward(f.span(), f.meta, n.table, at(0ms));
    };
    for (std::uint16_t p = 1; p <= 5; ++p) {
        EXPECT_TRUE(udp(p).ok()) << p;
    }
    EXPECT_EQ(n.out.size(), 2u);
    EXPECT_EQ(n.out.dropped(), 3u);
    EXPECT_EQ(n.out.pushed(), 2u);
    EXPECT_EQ(n.eng.flows().size(), 5u);
    EXPECT_EQ(n.take()[1].client_port, 2);
    ASSERT_TRUE(udp(6).ok());
    EXPECT_EQ(n.out.size(), 1u);
    EXPECT_EQ(n.out.dropped(), 3u);
}

// Master A forwards, backup B installs what A exports, then takes over:
// a mid-flow packet through B goes to the same real server and its reply
// is reverse-NATed.
TEST(flow_sync, round_trip_export_install_take_over) {
    node a({web()});
    node b({web()});
    // Three connections on A: rs_a (established), rs_b (established), rs_c
    // (half open: not announced, not exported).
    for (std::uint16_t p = 1; p <= 3; ++p) {
        ASSERT_TRUE(a.fwd(client, p, SYN, at(0ms)).ok());
        ASSERT_TRUE(a.back(p == 1   ? rs_a
                           : p == 2 ? rs_b
                                    : rs_c,
                           client, p, SYN | ACK, at(1ms))
                        .ok());
    }
    ASSERT_TRUE(a.fwd(client, 1, ACK, at(2ms)).ok());
    ASSERT_TRUE(a.fwd(client, 2, ACK, at(2ms)).ok());
    a.take();
    export_cursor cur;
    std::vector<flow_event> storage(64);
    flow_event_buffer bulk(storage);
    const export_result r = a.eng.export_some(cur, 1u << 20, bulk, a.table, at(10s));
    EXPECT_TRUE(r.done);
    EXPECT_TRUE(cur.done);
    ASSERT_EQ(r.emitted, 2u);
    for (const flow_event& e : bulk.events()) {
        EXPECT_EQ(e.kind, K::add);
        EXPECT_EQ(e.flags, 0);
        const flow* f = a.find(e.client, e.client_port, at(10s));
        ASSERT_NE(f, nullptr);
        EXPECT_EQ(milliseconds{e.timeout_ms}, a.eng.flows().remaining(*f, at(10s)));
        EXPECT_EQ(b.eng.install_synced(e, b.table, at(11s)), sync_refusal::none);
    }
    EXPECT_EQ(b.eng.sync_stats().flows_added, 2u);
    EXPECT_TRUE(b.take().empty()) << "installing emits nothing";
    EXPECT_EQ(b.counts(0).active, 1u);
    EXPECT_EQ(b.counts(1).active, 1u);
    EXPECT_EQ(b.counts(2).inactive, 0u);
    // The same records again (a retransmission, or refresh): updates, the
    // counts do not double.
    for (const flow_event& e : bulk.events()) {
        EXPECT_EQ(b.eng.install_synced(e, b.table, at(12s)), sync_refusal::none);
    }
    EXPECT_EQ(b.eng.sync_stats().flows_updated, 2u);
    EXPECT_EQ(b.counts(0).active, 1u);
    EXPECT_EQ(b.counts(1).active, 1u);
    EXPECT_EQ(b.eng.flows().size(), 2u);
    // Remaining timeout as sent: ESTABLISHED, 900 s from 2 ms, sent at 10 s,
    // installed at 12 s.
    const flow* f1 = b.find(client, 1, at(12s));
    ASSERT_NE(f1, nullptr);
    EXPECT_TRUE(f1->synced());
    EXPECT_EQ(b.eng.flows().remaining(*f1, at(12s)), 900s + 2ms - 10s);
    // B takes over: mid-flow data of connection 2 (rr on B would pick rs_a
    // for a new flow) goes to rs_b, and rs_b's reply is reverse-NATed.
    auto data = test::tcp_frame(client, 2, vip, 80, ACK, test::payload_bytes(100));
    const verdict v = b.eng.forward(data.span(), data.meta, b.table, at(13s));
    ASSERT_TRUE(v.ok()) << drop_reason_name(v.reason);
    EXPECT_FALSE(v.new_flow);
    EXPECT_EQ(v.next_hop, rs_b);
    EXPECT_EQ(data.reparse().dst, rs_b);
    EXPECT_EQ(data.reparse().dst_port, 8080);
    test::expect_checksums_valid(data);
    auto reply = test::tcp_frame(rs_b, 8080, client, 2, ACK, test::payload_bytes(50));
    const verdict rv = b.eng.reply(reply.span(), reply.meta, at(14s));
    ASSERT_TRUE(rv.ok()) << drop_reason_name(rv.reason);
    EXPECT_EQ(rv.next_hop, client);
    EXPECT_EQ(reply.reparse().src, vip);
    EXPECT_EQ(reply.reparse().src_port, 80);
    test::expect_checksums_valid(reply);
    // The flow is B's now: announced once, then the fast path again.
    auto ev = b.take();
    ASSERT_EQ(kinds(ev), (std::vector<K>{K::add}));
    EXPECT_EQ(ev[0].rs, rs_b);
    EXPECT_EQ(ev[0].state, flow_state::established);
    EXPECT_FALSE(b.find(client, 2, at(14s))->synced());
    // The half-open one was not synced: its last ACK is dropped on B (the
    // client retries its SYN, as after an IPVS failover).
    EXPECT_FALSE(b.fwd(client, 3, ACK, at(15s)).ok());
    EXPECT_EQ(b.eng.flows().size(), 2u);
    // B's synced copy of connection 1 expires silently.
    b.take();
    b.eng.expire(at(2000s), 4096);
    EXPECT_EQ(b.eng.flows().size(), 0u);
    EXPECT_EQ(kinds(b.take()), (std::vector<K>{K::remove})); // 2 only
}

TEST(flow_sync, incremental_records_follow_the_connection) {
    node a({web()});
    node b({web()});
    auto relay = [&](time_point now) {
        for (const flow_event& e : a.take()) {
            EXPECT_EQ(b.eng.install_synced(e, b.table, now), sync_refusal::none);
        }
    };
    ASSERT_TRUE(a.fwd(client, 9, SYN, at(0ms)).ok());
    relay(at(0ms));
    EXPECT_EQ(b.eng.flows().size(), 0u) << "SYN_RECV is not announced";
    EXPECT_EQ(b.counts(0).inactive, 0u);
    ASSERT_TRUE(a.fwd(client, 9, ACK, at(1ms)).ok());
    relay(at(1ms));
    EXPECT_EQ(b.counts(0).active, 1u);
    EXPECT_EQ(b.counts(0).inactive, 0u);
    EXPECT_EQ(b.find(client, 9, at(1ms))->state(), flow_state::established);
    ASSERT_TRUE(a.fwd(client, 9, RST, at(2ms)).ok());
    relay(at(2ms));
    EXPECT_EQ(b.find(client, 9, at(2ms))->state(), flow_state::close);
    EXPECT_EQ(b.counts(0).inactive, 1u);
    // The client port reused on A: the old flow's removal; the new one
    // (rs_b, SYN_RECV) is not announced yet.
    ASSERT_TRUE(a.fwd(client, 9, SYN, at(3ms)).ok());
    relay(at(3ms));
    EXPECT_EQ(b.eng.sync_stats().flows_removed, 1u);
    EXPECT_EQ(b.eng.flows().size(), 0u);
    EXPECT_EQ(b.counts(0).inactive, 0u);
    // The server resets it: CLOSE is announced, the whole flow in one record.
    ASSERT_TRUE(a.back(rs_b, client, 9, RST, at(4ms)).ok());
    relay(at(4ms));
    ASSERT_EQ(b.eng.flows().size(), 1u);
    EXPECT_EQ(b.find(client, 9, at(4ms))->rs, rs_b);
    EXPECT_EQ(b.find(client, 9, at(4ms))->state(), flow_state::close);
    EXPECT_EQ(b.counts(1).inactive, 1u);
    // A's flow ends: so does B's copy.
    a.eng.expire(at(4ms + 10s - 1ms), 4096); // swept a little early (budget)
    a.eng.flows().erase(
        *a.eng.flows().find_forward({client, vip, 9, 80, protocol::tcp}, at(4ms + 10s - 1ms)));
    relay(at(4ms + 10s - 1ms));
    EXPECT_EQ(b.eng.flows().size(), 0u);
    EXPECT_EQ(b.eng.sync_stats().flows_removed, 2u);
    EXPECT_EQ(b.counts(1).inactive, 0u);
    EXPECT_TRUE(b.take().empty());
}

// A record naming another real server than the flow has (the peer
// rescheduled the client endpoint) replaces the flow.
TEST(flow_sync, record_with_another_real_server_replaces_the_flow) {
    node b({web()});
    flow_event e{.kind = K::add,
                 .state = flow_state::established,
                 .client = client,
                 .vip = vip,
                 .rs = rs_a,
                 .client_port = 5,
                 .vport = 80,
                 .rs_port = 8080,
                 .timeout_ms = 1000};
    ASSERT_EQ(b.eng.install_synced(e, b.table, at(0ms)), sync_refusal::none);
    e.rs = rs_c;
    e.state = flow_state::syn_recv;
    ASSERT_EQ(b.eng.install_synced(e, b.table, at(1ms)), sync_refusal::none);
    EXPECT_EQ(b.eng.flows().size(), 1u);
    EXPECT_EQ(b.find(client, 5, at(1ms))->rs, rs_c);
    EXPECT_EQ(b.counts(0).active, 0u);
    EXPECT_EQ(b.counts(2).inactive, 1u);
    EXPECT_TRUE(b.take().empty());
}

// Two services sharing a real-server endpoint: the record's service picks
// which of the two real servers (slots) the flow gets.
TEST(flow_sync, install_finds_the_real_server_of_the_records_service) {
    auto tls = web();
    tls.port = 443;
    node b({web(), tls});
    const service* s443 = b.table.find_service(vip, 443, protocol::tcp);
    ASSERT_NE(s443, nullptr);
    const auto slot443 = b.table.real_servers(*s443)[0].slot;
    ASSERT_NE(slot443, b.table.real_servers(b.table.services()[0])[0].slot);
    flow_event e = {.kind = K::add,
                    .state = flow_state::established,
                    .client = client,
                    .vip = vip,
                    .rs = rs_a,
                    .client_port = 6,
                    .vport = 443,
                    .rs_port = 8080,
                    .timeout_ms = 1000};
    ASSERT_EQ(b.eng.install_synced(e, b.table, at(0ms)), sync_refusal::none);
    const flow* f = b.eng.flows().find_forward({client, vip, 6, 443, protocol::tcp}, at(0ms));
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->rs_slot, slot443);
    EXPECT_EQ(f->service_slot, s443->slot);
    EXPECT_EQ(b.eng.scheduler().counts(slot443).active, 1u);
}

TEST(flow_sync, persistence_round_trip) {
    node a({web(300s)});
    node b({web(300s)});
    const ipv4_addr other{198, 51, 100, 20};
    ASSERT_TRUE(a.fwd(other, 1, SYN, at(0ms)).ok());         // rs_a
    ASSERT_TRUE(a.fwd(other, 1, ACK, at(0ms)).ok());         // established
    ASSERT_TRUE(a.fwd(client, 1, SYN, at(0ms)).ok());        // rs_b
    ASSERT_TRUE(a.back(rs_b, client, 1, RST, at(1ms)).ok()); // CLOSE: 10 s
    a.eng.expire(at(20s), 4096); // client's flow gone; its template remains
    a.take();
    export_cursor cur;
    std::vector<flow_event> storage(64);
    flow_event_buffer bulk(storage);
    while (!cur.done) {
        a.eng.export_some(cur, 3, bulk, a.table, at(30s));
    }
    std::vector<K> got = kinds({bulk.events().begin(), bulk.events().end()});
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, (std::vector<K>{K::add, K::persist, K::persist}));
    for (const flow_event& e : bulk.events()) {
        ASSERT_EQ(b.eng.install_synced(e, b.table, at(31s)), sync_refusal::none);
    }
    EXPECT_EQ(b.eng.templates().size(), 2u);
    EXPECT_EQ(b.eng.sync_stats().templates, 2u);
    // B takes over: the client's new connection follows its template to
    // rs_b although B's own rr would start at rs_a.
    const verdict v = b.fwd(client, 2, SYN, at(32s));
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v.next_hop, rs_b);
    EXPECT_EQ(b.eng.stats().persist_hits, 1u);
    // Other's template: created with its flow, then given A's remaining
    // time (300 s from 0 ms, sent at 30 s, installed at 31 s).
    const std::uint32_t t = b.eng.templates().find({other.value, vip, 80, protocol::tcp}, at(31s));
    ASSERT_NE(t, no_template);
    EXPECT_EQ(b.eng.templates().at(t).rs_slot, b.table.real_servers(b.table.services()[0])[0].slot);
    EXPECT_EQ(b.eng.templates().remaining(t, at(31s)), 270s);
    EXPECT_EQ(b.eng.templates().at(t).n_control, 1u);
}

struct refusal_case {
    const char* name;
    flow_event e;
    sync_refusal expected;
};

flow_event good() {
    return {.kind = K::add,
            .state = flow_state::established,
            .client = client,
            .vip = vip,
            .rs = rs_a,
            .client_port = 4000,
            .vport = 80,
            .rs_port = 8080,
            .timeout_ms = 5000};
}

template <class F>
flow_event with(F f) {
    flow_event e = good();
    f(e);
    return e;
}

class flow_sync_refusals : public ::testing::TestWithParam<refusal_case> {};

TEST_P(flow_sync_refusals, refused_counted_and_nothing_installed) {
    const auto& c = GetParam();
    node b({web(),
            [] {
                auto s = web(60s);
                s.port = 443;
                return s;
            }()},
           {.flow_capacity = 2});
    // Occupants: a flow this node forwards (for kept_local), and one that
    // holds rs_a's endpoint for client:4001 on port 443 (reverse_in_use).
    ASSERT_TRUE(b.fwd(client, 4002, SYN, at(0ms)).ok());
    ASSERT_EQ(b.eng.install_synced(with([](flow_event& e) {
                                       e.vport = 443;
                                       e.client_port = 4001;
                                   }),
                                   b.table, at(0ms)),
              sync_refusal::none);
    const auto size = b.eng.flows().size();
    const auto templates = b.eng.templates().size();
    const auto before = b.eng.sync_stats();
    b.take();
    EXPECT_EQ(b.eng.install_synced(c.e, b.table, at(1ms)), c.expected);
    EXPECT_EQ(b.eng.sync_stats().refused[static_cast<std::size_t>(c.expected)],
              before.refused[static_cast<std::size_t>(c.expected)] + 1);
    EXPECT_EQ(b.eng.flows().size(), size);
    EXPECT_EQ(b.eng.templates().size(), templates);
    EXPECT_EQ(b.eng.sync_stats().flows_added, before.flows_added);
    EXPECT_EQ(b.eng.sync_stats().flows_updated, before.flows_updated);
    EXPECT_TRUE(b.take().empty());
    EXPECT_STRNE(sync_refusal_name(c.expected), "unknown");
}

INSTANTIATE_TEST_SUITE_P(
    cases, flow_sync_refusals,
    ::testing::Values(
        refusal_case{"bad_kind", with([](auto& e) { e.kind = static_cast<K>(9); }),
                     sync_refusal::sync_bad_kind},
        refusal_case{"bad_protocol",
                     with([](auto& e) { e.proto = static_cast<protocol>(net::ip_proto_icmp); }),
                     sync_refusal::sync_bad_protocol},
        refusal_case{"unknown_vip", with([](auto& e) {
                         e.vip = ipv4_addr{192, 168, 44, 151};
                     }),
                     sync_refusal::sync_unknown_service},
        refusal_case{"unknown_vport", with([](auto& e) { e.vport = 81; }),
                     sync_refusal::sync_unknown_service},
        refusal_case{"udp_service_absent", with([](auto& e) {
                         e.proto = protocol::udp;
                         e.state = flow_state::udp;
                     }),
                     sync_refusal::sync_unknown_service},
        refusal_case{"unknown_real_server", with([](auto& e) {
                         e.rs = ipv4_addr{172, 18, 0, 9};
                     }),
                     sync_refusal::sync_unknown_real_server},
        refusal_case{"unknown_real_server_port", with([](auto& e) { e.rs_port = 8081; }),
                     sync_refusal::sync_unknown_real_server},
        refusal_case{"template_not_persistent", with([](auto& e) { e.kind = K::persist; }),
                     sync_refusal::sync_not_persistent},
        refusal_case{"udp_state_on_tcp", with([](auto& e) { e.state = flow_state::udp; }),
                     sync_refusal::sync_bad_state},
        refusal_case{"state_none", with([](auto& e) { e.state = flow_state::none; }),
                     sync_refusal::sync_bad_state},
        refusal_case{"state_out_of_range",
                     with([](auto& e) { e.state = static_cast<flow_state>(200); }),
                     sync_refusal::sync_bad_state},
        refusal_case{"timeout_zero", with([](auto& e) { e.timeout_ms = 0; }),
                     sync_refusal::sync_bad_timeout},
        refusal_case{"timeout_beyond_state", with([](auto& e) {
                         e.state = flow_state::close;
                         e.timeout_ms = 10001;
                     }),
                     sync_refusal::sync_bad_timeout},
        refusal_case{"template_timeout_beyond", with([](auto& e) {
                         e.kind = K::persist;
                         e.vport = 443;
                         e.client_port = 0;
                         e.timeout_ms = 60001;
                     }),
                     sync_refusal::sync_bad_timeout},
        refusal_case{"copy_of_a_local_flow", with([](auto& e) {
                         e.client_port = 4002;
                         e.flags = flow_event::flag_copy;
                     }),
                     sync_refusal::sync_kept_local},
        refusal_case{"reverse_in_use", with([](auto& e) { e.client_port = 4001; }),
                     sync_refusal::sync_reverse_in_use},
        refusal_case{"table_full", with([](auto& e) { e.client_port = 4003; }),
                     sync_refusal::sync_table_full}),
    [](const auto& tp) { return std::string(tp.param.name); });

// The walk under churn: between calls flows come and go; every flow
// present for the whole walk is emitted, exactly once, and nothing that
// was never there.
TEST(flow_sync, export_walk_is_complete_under_inserts_and_removes) {
    node a({web()}, {.flow_capacity = 512});
    using key = std::uint16_t; // client port
    std::set<key> live;
    std::set<key> ever;
    key next = 1;
    auto add = [&](time_point now) {
        ASSERT_TRUE(a.fwd(client, next, SYN, now).ok());
        ASSERT_TRUE(a.fwd(client, next, ACK, now).ok()); // announced: exported
        live.insert(next);
        ever.insert(next);
        ++next;
    };
    for (int i = 0; i < 300; ++i) {
        add(at(0ms));
    }
    const std::set<key> at_start = live;
    std::set<key> removed_during;
    export_cursor cur;
    std::vector<flow_event> storage(7); // small: the walk must wait for room
    flow_event_buffer bulk(storage);
    std::map<key, int> emitted;
    unsigned seed = 12345;
    int calls = 0;
    while (!cur.done) {
        const time_point now = at(milliseconds{1 + calls});
        a.eng.export_some(cur, 23, bulk, a.table, now);
        for (const flow_event& e : bulk.events()) {
            ++emitted[e.client_port];
            EXPECT_TRUE(live.count(e.client_port)) << "emitted a flow that is gone";
        }
        bulk.clear();
        // Churn: three new flows, two removed (RST then CLOSE expiry would
        // take 10 s; connection reuse and erase are immediate).
        for (int i = 0; i < 3 && live.size() < 500; ++i) {
            add(now);
        }
        for (int i = 0; i < 2 && !live.empty(); ++i) {
            seed = seed * 1103515245u + 12345u;
            auto it = live.begin();
            std::advance(it, (seed >> 8) % live.size());
            flow* f = a.eng.flows().find_forward({client, vip, *it, 80, protocol::tcp}, now);
            ASSERT_NE(f, nullptr);
            a.eng.flows().erase(*f);
            removed_during.insert(*it);
            live.erase(it);
        }
        ASSERT_LT(++calls, 10000);
    }
    int checked = 0;
    for (key k : at_start) {
        if (removed_during.count(k) == 0) {
            EXPECT_EQ(emitted[k], 1) << k;
            ++checked;
        }
    }
    EXPECT_GT(checked, 100);
    for (const auto& [k, n] : emitted) {
        EXPECT_TRUE(ever.count(k)) << k;
        EXPECT_EQ(n, 1) << k;
    }
}

// Hostile or confused peers: random records (any kind, state, timeout,
// endpoints from a small set so they collide) mixed with local packets and
// sweeps. Whatever is accepted or refused, every entry in use is counted
// once, active exactly when ESTABLISHED (TCP) or UDP, and every refusal
// reason shows up.
TEST(flow_sync, random_records_keep_the_counts_consistent) {
    auto dns = web(0s, protocol::udp);
    auto sticky = web(30s);
    sticky.port = 443;
    node b({web(), dns, sticky}, {.flow_capacity = 32, .persistence_capacity = 4}, 4096);
    unsigned seed = 99;
    auto rnd = [&](unsigned n) {
        seed = seed * 1103515245u + 12345u;
        return (seed >> 8) % n;
    };
    const std::array<ipv4_addr, 4> servers{rs_a, rs_b, rs_c, ipv4_addr{172, 18, 0, 9}};
    std::array<unsigned, sync_refusal_count> seen{};
    for (int i = 0; i < 20000; ++i) {
        const time_point now = at(milliseconds{i});
        const unsigned what = rnd(10);
        if (what == 0) {
            b.eng.expire(now, 16);
        } else if (what == 1) {
            const std::uint8_t flags[] = {SYN, ACK, FIN | ACK, RST};
            b.fwd(ipv4_addr{203, 0, 113, static_cast<std::uint8_t>(rnd(4))},
                  static_cast<std::uint16_t>(rnd(8)), flags[rnd(4)], now);
        } else {
            const std::uint16_t vports[] = {80, 443, 81};
            flow_event e{.kind = static_cast<K>(rnd(6)),
                         .proto = rnd(3) == 0    ? protocol::udp
                                  : rnd(50) == 0 ? static_cast<protocol>(net::ip_proto_icmp)
                                                 : protocol::tcp,
                         .state = static_cast<flow_state>(rnd(11)),
                         .flags = static_cast<std::uint8_t>(rnd(2)),
                         .client = ipv4_addr{203, 0, 113, static_cast<std::uint8_t>(rnd(4))},
                         .vip = vip,
                         .rs = servers[rnd(4)],
                         .client_port = static_cast<std::uint16_t>(rnd(8)),
                         .vport = vports[rnd(3)],
                         .rs_port = static_cast<std::uint16_t>(rnd(8) == 0 ? 8081 : 8080),
                         .timeout_ms = static_cast<std::uint32_t>(rnd(4) == 0 ? 0 : rnd(1000000))};
            ++seen[static_cast<std::size_t>(b.eng.install_synced(e, b.table, now))];
        }
        std::uint64_t active = 0, inactive = 0, want_active = 0, used = 0;
        for (const real_server& r : b.table.all_real_servers()) {
            active += b.eng.scheduler().counts(r.slot).active;
            inactive += b.eng.scheduler().counts(r.slot).inactive;
        }
        b.eng.flows().for_each([&](const flow& f) {
            ++used;
            want_active += f.state() == flow_state::established || f.state() == flow_state::udp;
        });
        ASSERT_EQ(active + inactive, used) << i;
        ASSERT_EQ(active, want_active) << i;
        b.take();
    }
    for (std::size_t r = 0; r < sync_refusal_count; ++r) {
        EXPECT_GT(seen[r], 0u) << sync_refusal_name(static_cast<sync_refusal>(r));
    }
}

TEST(flow_sync, export_marks_copies) {
    node b({web()});
    ASSERT_EQ(b.eng.install_synced(good(), b.table, at(0ms)), sync_refusal::none);
    ASSERT_TRUE(b.fwd(client, 1, SYN, at(0ms)).ok());
    ASSERT_TRUE(b.fwd(client, 1, ACK, at(0ms)).ok());
    export_cursor cur;
    std::vector<flow_event> storage(8);
    flow_event_buffer bulk(storage);
    b.eng.export_some(cur, 1u << 20, bulk, b.table, at(1ms));
    ASSERT_TRUE(cur.done);
    ASSERT_EQ(bulk.size(), 2u);
    for (const flow_event& e : bulk.events()) {
        EXPECT_EQ(e.flags, e.client_port == 4000 ? flow_event::flag_copy : 0) << e.client_port;
    }
}

// refresh_some() with an explicit window: flows that saw a packet within
// the window, this node's, long-lived states only.
TEST(flow_sync, refresh_some_picks_flows_that_moved) {
    node n({web()}, {.flow_capacity = 64});
    for (std::uint16_t p = 1; p <= 4; ++p) {
        ASSERT_TRUE(n.fwd(client, p, SYN, at(0ms)).ok());
        ASSERT_TRUE(n.fwd(client, p, ACK, at(1ms)).ok());
    }
    ASSERT_TRUE(n.fwd(client, 5, SYN, at(0ms)).ok());
    ASSERT_TRUE(n.fwd(client, 5, RST, at(1ms)).ok());
    ASSERT_TRUE(n.back(rs_b, client, 5, RST, at(1ms)).ok()); // CLOSE: 10 s, shorter than window
    ASSERT_EQ(n.eng.install_synced(good(), n.table, at(0ms)), sync_refusal::none);
    // Packets at 15 s on flows 1 and 3.
    ASSERT_TRUE(n.fwd(client, 1, ACK, at(15s)).ok());
    ASSERT_TRUE(n.back(rs_c, client, 3, ACK, at(15s)).ok());
    n.take();
    std::uint32_t cursor = 0;
    EXPECT_EQ(n.eng.flows().refresh_some(cursor, 64, 10s, n.out, at(20s)), 64u);
    EXPECT_EQ(cursor, 64u);
    auto ev = n.take();
    std::set<std::uint16_t> ports;
    for (const auto& e : ev) {
        EXPECT_EQ(e.kind, K::refresh);
        EXPECT_EQ(e.timeout_ms, 895000u);
        ports.insert(e.client_port);
    }
    EXPECT_EQ(ports, (std::set<std::uint16_t>{1, 3}));
    // Bounded: 10 entries from the cursor, wrapping.
    EXPECT_EQ(n.eng.flows().refresh_some(cursor, 10, 10s, n.out, at(20s)), 10u);
    EXPECT_EQ(cursor, 10u);
    // A full buffer stops the sweep at the flow that does not fit.
    node m({web()}, {.flow_capacity = 8}, 1);
    for (std::uint16_t p = 1; p <= 3; ++p) {
        ASSERT_TRUE(m.fwd(client, p, SYN, at(0ms)).ok());
        ASSERT_TRUE(m.fwd(client, p, ACK, at(0ms)).ok());
    }
    m.take();
    cursor = 0;
    const std::uint32_t ex = m.eng.flows().refresh_some(cursor, 8, 10s, m.out, at(1s));
    EXPECT_EQ(m.out.size(), 1u);
    EXPECT_LT(ex, 8u);
    EXPECT_EQ(m.out.dropped(), 2u); // the three state_changes, into one slot
}

// The paced sweep: one pass per period, bounded per call; a flow with
// traffic is refreshed once per pass, an idle one not at all.
TEST(flow_sync, paced_refresh_once_per_pass_for_flows_with_traffic) {
    node n({web()}, {.flow_capacity = 100, .sync_refresh_period = 10s, .sync_refresh_budget = 8});
    ASSERT_TRUE(n.fwd(client, 1, SYN, at(0ms)).ok());
    ASSERT_TRUE(n.fwd(client, 1, ACK, at(0ms)).ok());
    ASSERT_TRUE(n.fwd(client, 2, SYN, at(0ms)).ok());
    ASSERT_TRUE(n.fwd(client, 2, ACK, at(0ms)).ok());
    n.take();
    std::map<std::uint16_t, int> refreshed;
    std::uint32_t most = 0;
    // 60 s in 50 ms steps; flow 1 has a packet every second, flow 2 none.
    for (milliseconds t = 50ms; t <= 60s; t += 50ms) {
        if (t.count() % 1000 == 0) {
            ASSERT_TRUE(n.fwd(client, 1, ACK, at(t)).ok());
        }
        most = std::max(most, n.eng.sync_refresh(at(t)));
        for (const auto& e : n.take()) {
            ASSERT_EQ(e.kind, K::refresh);
            ++refreshed[e.client_port];
        }
    }
    EXPECT_LE(most, 8u);
    // Entry 0 is visited 100 ms into each pass: in the first pass flow 1's
    // packets (at 0 ms) were sent by their own events; then once per pass.
    EXPECT_EQ(refreshed[1], 5);
    EXPECT_EQ(refreshed[2], 0);
    EXPECT_EQ(n.out.dropped(), 0u);
}

} // namespace
} // namespace vipgate::lb
