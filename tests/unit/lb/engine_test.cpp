// One worker's load balancer end to end: flows created by SYN, replies and
// ICMP errors translated, persistence, drops by reason.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "lb/engine.hpp"
#include "net/checksum.hpp"
#include "test_util.hpp"

namespace vipgate::lb {
namespace {

using net::ipv4_addr;
using test::at;
using namespace std::chrono_literals;

constexpr std::uint8_t SYN = net::tcp_flag_syn;
constexpr std::uint8_t ACK = net::tcp_flag_ack;
constexpr std::uint8_t RST = net::tcp_flag_rst;

const ipv4_addr vip{192, 168, 44, 150};
const ipv4_addr client{203, 0, 113, 7};
const ipv4_addr rs_a{172, 18, 0, 2};
const ipv4_addr rs_b{172, 18, 0, 3};
const ipv4_addr rs_c{172, 18, 0, 4};

service_config web(seconds persistence = 0s) {
    return {.vip = vip,
            .port = 80,
            .scheduler = scheduler_kind::rr,
            .persistence_timeout = persistence,
            .real_servers = {{.address = rs_a, .port = 8080},
                             {.address = rs_b, .port = 8080},
                             {.address = rs_c, .port = 8080}}};
}

struct lb_fixture : ::testing::Test {
    service_table table;
    engine eng = make_engine({});

    static engine make_engine(engine_config cfg) {
        if (cfg.flow_capacity == (1u << 20)) {
            cfg.flow_capacity = 1024; // small for tests
        }
        if (cfg.persistence_capacity == (1u << 16)) {
            cfg.persistence_capacity = 256;
        }
        auto e = engine::create(cfg);
        EXPECT_TRUE(e.ok()) << e.message();
        return std::move(e).value();
    }
    void use(std::vector<service_config> cfg) {
        auto t = service_table::build(cfg, {}, &table);
        ASSERT_TRUE(t.ok()) << t.message();
        table = std::move(t).value();
    }
    verdict send(test::frame& f, time_point now) {
        return eng.forward(f.span(), f.meta, table, now);
    }
    verdict send_reply(test::frame& f, time_point now) { return eng.reply(f.span(), f.meta, now); }
    // A client connection's SYN; returns the real server it went to.
    ipv4_addr connect(ipv4_addr from, std::uint16_t port, time_point now) {
        auto f = test::tcp_frame(from, port, vip, 80, SYN);
        const auto v = send(f, now);
        EXPECT_TRUE(v.ok()) << drop_reason_name(v.reason);
        return v.next_hop;
    }
};

TEST_F(lb_fixture, tcp_connection_both_directions) {
    use({web()});
    // SYN
    auto syn = test::tcp_frame(client, 40000, vip, 80, SYN);
    auto v = send(syn, at(0ms));
    ASSERT_TRUE(v.ok()) << drop_reason_name(v.reason);
    EXPECT_TRUE(v.new_flow);
    EXPECT_EQ(v.dir, direction::forward);
    EXPECT_EQ(v.next_hop, rs_a);
    EXPECT_EQ(v.service_slot, table.services()[0].slot);
    auto m = syn.reparse();
    EXPECT_EQ(m.dst, rs_a);
    EXPECT_EQ(m.dst_port, 8080);
    test::expect_checksums_valid(syn);
    const flow* f = eng.flows().find_forward({client, vip, 40000, 80, protocol::tcp}, at(0ms));
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->state(), flow_state::syn_recv);
    const auto slot_a = table.real_servers(table.services()[0])[0].slot;
    EXPECT_EQ(eng.scheduler().counts(slot_a).inactive, 1u); // SYN_RECV: inactive (IPVS)

    // SYN/ACK from the real server
    auto synack = test::tcp_frame(rs_a, 8080, client, 40000, SYN | ACK);
    v = send_reply(synack, at(1ms));
    ASSERT_TRUE(v.ok()) << drop_reason_name(v.reason);
    EXPECT_EQ(v.dir, direction::reply);
    EXPECT_EQ(v.next_hop, client);
    m = synack.reparse();
    EXPECT_EQ(m.src, vip);
    EXPECT_EQ(m.src_port, 80);
    test::expect_checksums_valid(synack);

    // ACK: established, counted active
    auto ack = test::tcp_frame(client, 40000, vip, 80, ACK);
    v = send(ack, at(2ms));
    ASSERT_TRUE(v.ok());
    EXPECT_FALSE(v.new_flow);
    EXPECT_EQ(f->state(), flow_state::established);
    EXPECT_EQ(eng.scheduler().counts(slot_a).active, 1u);
    EXPECT_EQ(eng.scheduler().counts(slot_a).inactive, 0u);

    // RST from the server closes: 10 s later the flow is gone.
    auto rst = test::tcp_frame(rs_a, 8080, client, 40000, RST);
    ASSERT_TRUE(send_reply(rst, at(3ms)).ok());
    EXPECT_EQ(f->state(), flow_state::close);
    eng.expire(at(3ms + 10s), 1024);
    EXPECT_EQ(eng.flows().size(), 0u);
    EXPECT_EQ(eng.scheduler().counts(slot_a).active, 0u);
    EXPECT_EQ(eng.scheduler().counts(slot_a).inactive, 0u);
    auto late = test::tcp_frame(rs_a, 8080, client, 40000, ACK);
    EXPECT_EQ(send_reply(late, at(11s)).reason, drop_reason::lb_reply_no_flow);
}

TEST_F(lb_fixture, udp_flow_round_trip) {
    auto dns = web();
    dns.port = 53;
    dns.proto = protocol::udp;
    use({dns});
    auto q = test::udp_frame(client, 5353, vip, 53, test::payload_bytes(40));
    auto v = send(q, at(0ms));
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v.next_hop, rs_a);
    test::expect_checksums_valid(q);
    auto a = test::udp_frame(rs_a, 8080, client, 5353, test::payload_bytes(90));
    v = send_reply(a, at(10ms));
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(a.reparse().src, vip);
    test::expect_checksums_valid(a);
    // 300 s idle: gone.
    auto a2 = test::udp_frame(rs_a, 8080, client, 5353);
    EXPECT_EQ(send_reply(a2, at(10ms + 300s)).reason, drop_reason::lb_reply_no_flow);
}

struct drop_case {
    const char* name;
    std::uint8_t flags;
    std::uint8_t ttl;
    std::uint16_t dport;
    drop_reason expected;
};

class lb_drops : public lb_fixture, public ::testing::WithParamInterface<drop_case> {};

TEST_P(lb_drops, new_packet_is_dropped_for_a_reason_and_creates_nothing) {
    const auto& c = GetParam();
    use({web()});
    auto f = test::tcp_frame(client, 40000, vip, c.dport, c.flags, {}, c.ttl);
    const auto before = f.bytes;
    EXPECT_EQ(send(f, at(0ms)).reason, c.expected);
    EXPECT_EQ(eng.flows().size(), 0u);
    EXPECT_EQ(f.bytes, before);
}

INSTANTIATE_TEST_SUITE_P(
    cases, lb_drops,
    ::testing::Values(drop_case{"ack_without_flow", ACK, 64, 80, drop_reason::lb_tcp_not_syn},
                      drop_case{"rst_without_flow", RST, 64, 80, drop_reason::lb_tcp_rst_no_flow},
                      drop_case{"syn_rst", SYN | RST, 64, 80, drop_reason::lb_tcp_rst_no_flow},
                      drop_case{"ttl_1", SYN, 1, 80, drop_reason::lb_ttl_exceeded},
                      drop_case{"no_service", SYN, 64, 81, drop_reason::lb_no_service}),
    [](const auto& tp) { return std::string(tp.param.name); });

TEST_F(lb_fixture, ttl_exceeded_on_an_existing_flow_does_not_touch_it) {
    use({web()});
    connect(client, 40000, at(0ms));
    auto f = test::tcp_frame(client, 40000, vip, 80, RST, {}, 1);
    EXPECT_EQ(send(f, at(1ms)).reason, drop_reason::lb_ttl_exceeded);
    const flow* fl = eng.flows().find_forward({client, vip, 40000, 80, protocol::tcp}, at(1ms));
    ASSERT_NE(fl, nullptr);
    EXPECT_EQ(fl->state(), flow_state::syn_recv); // the RST was not counted
}

// The same on an ESTABLISHED flow, whose plain ACKs take the inline path:
// neither the state nor the timer moves, and the frame is left as it was.
TEST_F(lb_fixture, ttl_exceeded_on_an_established_flow_leaves_its_timer) {
    use({web()});
    connect(client, 40000, at(0ms));
    auto ack = test::tcp_frame(client, 40000, vip, 80, ACK);
    ASSERT_TRUE(send(ack, at(1ms)).ok());
    const flow* fl = eng.flows().find_forward({client, vip, 40000, 80, protocol::tcp}, at(1ms));
    ASSERT_NE(fl, nullptr);
    ASSERT_EQ(fl->state(), flow_state::established);
    const std::uint32_t expires = fl->expires;
    auto late = test::tcp_frame(client, 40000, vip, 80, ACK, {}, 1);
    const auto before = late.bytes;
    EXPECT_EQ(send(late, at(5000ms)).reason, drop_reason::lb_ttl_exceeded);
    EXPECT_EQ(fl->expires, expires);
    EXPECT_EQ(late.bytes, before);
}

// An ACK for a flow that timed out meets no flow, whatever path it takes;
// its entry stays until the sweep reclaims it or a new flow of the same
// forward key takes it over.
TEST_F(lb_fixture, a_timed_out_flow_is_not_used) {
    use({web()});
    connect(client, 40000, at(0ms));
    auto ack = test::tcp_frame(client, 40000, vip, 80, ACK);
    ASSERT_TRUE(send(ack, at(1ms)).ok());
    ASSERT_EQ(eng.flows().size(), 1u);
    auto later = test::tcp_frame(client, 40000, vip, 80, ACK);
    EXPECT_EQ(send(later, at(1ms + 900s)).reason, drop_reason::lb_tcp_not_syn);
    EXPECT_EQ(eng.flows().stats().inserted, 1u);
    // A new SYN of that endpoint: a new flow, in the expired one's entry.
    auto syn = test::tcp_frame(client, 40000, vip, 80, SYN);
    const verdict v = send(syn, at(2ms + 900s));
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v.new_flow);
    EXPECT_EQ(eng.flows().size(), 1u);
    EXPECT_EQ(eng.flows().stats().inserted, 2u);
    EXPECT_EQ(eng.flows().stats().expired, 1u);
    const flow* f =
        eng.flows().find_forward({client, vip, 40000, 80, protocol::tcp}, at(3ms + 900s));
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->state(), flow_state::syn_recv);
    // Timed out again and swept: gone.
    eng.expire(at(1000s), 1u << 20);
    EXPECT_EQ(eng.flows().size(), 0u);
    EXPECT_EQ(eng.flows().find_forward({client, vip, 40000, 80, protocol::tcp}, at(1000s)),
              nullptr);
}

TEST_F(lb_fixture, sloppy_tcp_picks_up_established_connections) {
    eng = make_engine({.sloppy_tcp = true});
    use({web()});
    auto f = test::tcp_frame(client, 40000, vip, 80, ACK);
    const auto v = send(f, at(0ms));
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v.new_flow);
    const flow* fl = eng.flows().find_forward({client, vip, 40000, 80, protocol::tcp}, at(0ms));
    ASSERT_NE(fl, nullptr);
    EXPECT_EQ(fl->state(), flow_state::established);
    auto r = test::tcp_frame(client, 40001, vip, 80, RST);
    EXPECT_EQ(send(r, at(0ms)).reason, drop_reason::lb_tcp_rst_no_flow);
}

TEST_F(lb_fixture, drained_and_down_servers_get_no_new_flows_but_keep_theirs) {
    use({web()});
    EXPECT_EQ(connect(client, 1, at(0ms)), rs_a);
    auto cfg = web();
    cfg.real_servers[0].weight = 0; // drain a
    cfg.real_servers[1].up = false; // b failed its check
    use({cfg});
    for (std::uint16_t p = 2; p < 12; ++p) {
        EXPECT_EQ(connect(client, p, at(1ms)), rs_c);
    }
    // The flow on a still works both ways.
    auto data = test::tcp_frame(client, 1, vip, 80, ACK);
    auto v = send(data, at(2ms));
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v.next_hop, rs_a);
    cfg.real_servers[2].weight = 0;
    use({cfg});
    auto syn = test::tcp_frame(client, 99, vip, 80, SYN);
    EXPECT_EQ(send(syn, at(3ms)).reason, drop_reason::lb_no_real_server);
}

// IPVS conn_reuse_mode 1: a SYN reusing the client port of a finished
// connection, or of one whose server is drained or down, is scheduled afresh.
TEST_F(lb_fixture, syn_on_a_finished_or_orphaned_flow_is_rescheduled) {
    use({web()});
    EXPECT_EQ(connect(client, 7, at(0ms)), rs_a);
    // Close it: FIN from the client, FIN+ACK from the server, ACK.
    auto fin = test::tcp_frame(client, 7, vip, 80, net::tcp_flag_fin | ACK);
    ASSERT_TRUE(send(fin, at(1ms)).ok());
    auto fin2 = test::tcp_frame(rs_a, 8080, client, 7, net::tcp_flag_fin | ACK);
    ASSERT_TRUE(send_reply(fin2, at(2ms)).ok());
    auto last = test::tcp_frame(client, 7, vip, 80, ACK);
    ASSERT_TRUE(send(last, at(3ms)).ok());
    // Same client port again: a new connection, rr moves on to b.
    EXPECT_EQ(connect(client, 7, at(4ms)), rs_b);
    EXPECT_EQ(eng.stats().conn_reused, 1u);
    // A retransmitted SYN of the live connection stays where it is.
    EXPECT_EQ(connect(client, 7, at(5ms)), rs_b);
    EXPECT_EQ(eng.stats().conn_reused, 1u);
    // b drained: a SYN on b's live flow goes elsewhere; data on it stays.
    auto cfg = web();
    cfg.real_servers[1].weight = 0;
    use({cfg});
    auto data = test::tcp_frame(client, 8, vip, 80, SYN);
    const ipv4_addr first = send(data, at(6ms)).next_hop; // new flow on 8
    ASSERT_NE(first, rs_b);
    auto ack = test::tcp_frame(client, 7, vip, 80, ACK);
    EXPECT_EQ(send(ack, at(7ms)).next_hop, rs_b) << "established data keeps its server";
    EXPECT_NE(connect(client, 7, at(8ms)), rs_b) << "a new SYN leaves the drained server";
    EXPECT_EQ(eng.stats().conn_reused, 2u);
}

TEST_F(lb_fixture, full_table_refuses_new_flows_existing_ones_keep_working) {
    eng = make_engine({.flow_capacity = 16});
    use({web()});
    for (std::uint16_t p = 1; p <= 16; ++p) {
        connect(client, p, at(0ms));
    }
    auto syn = test::tcp_frame(client, 17, vip, 80, SYN);
    EXPECT_EQ(send(syn, at(1ms)).reason, drop_reason::lb_flow_table_full);
    for (std::uint16_t p = 1; p <= 16; ++p) {
        auto ack = test::tcp_frame(client, p, vip, 80, ACK);
        EXPECT_TRUE(send(ack, at(2ms)).ok()) << p;
    }
}

TEST_F(lb_fixture, persistence_keeps_a_client_on_one_server_across_ports) {
    use({web(60s)});
    const ipv4_addr first = connect(client, 1000, at(0ms));
    for (std::uint16_t p = 1001; p < 1020; ++p) {
        EXPECT_EQ(connect(client, p, at(milliseconds{p})), first) << p;
    }
    // Another client is scheduled normally (rr moves on).
    const ipv4_addr other = connect(ipv4_addr{198, 51, 100, 20}, 1000, at(100ms));
    EXPECT_NE(other, first);
    EXPECT_EQ(eng.stats().persist_hits, 19u);
    EXPECT_EQ(eng.templates().size(), 2u);
}

TEST_F(lb_fixture, persistence_granularity_groups_a_subnet) {
    auto cfg = web(60s);
    cfg.persistence_netmask = {255, 255, 255, 0};
    use({cfg});
    const ipv4_addr first = connect(ipv4_addr{198, 51, 100, 1}, 1000, at(0ms));
    for (std::uint8_t h = 2; h < 60; h += 7) {
        EXPECT_EQ(connect(ipv4_addr{198, 51, 100, h}, 1000, at(1ms)), first);
    }
    EXPECT_NE(connect(ipv4_addr{198, 51, 101, 1}, 1000, at(2ms)), first);
}

TEST_F(lb_fixture, persistence_expires_after_the_timeout) {
    use({web(60s)});
    // Short connections: SYN, ACK, then the client's RST (CLOSE: 10 s).
    auto short_connection = [&](std::uint16_t port, time_point t) {
        const ipv4_addr to = connect(client, port, t);
        auto ack = test::tcp_frame(client, port, vip, 80, ACK);
        EXPECT_TRUE(send(ack, t + 1ms).ok());
        auto rst = test::tcp_frame(client, port, vip, 80, RST);
        EXPECT_TRUE(send(rst, t + 2ms).ok());
        return to;
    };
    const ipv4_addr first = short_connection(1000, at(0ms));
    // Within the timeout of the last new flow: same server.
    EXPECT_EQ(short_connection(1001, at(30s)), first);
    eng.expire(at(89s), 2048);
    EXPECT_EQ(eng.flows().size(), 0u);
    EXPECT_EQ(eng.templates().size(), 1u); // 60 s after 30 s is not over yet
    // 60 s after the last new flow, with no flow left: the template is gone
    // and the client is scheduled afresh (rr: the next server).
    eng.expire(at(90s), 2048);
    EXPECT_EQ(eng.templates().size(), 0u);
    EXPECT_NE(connect(client, 1002, at(90s)), first);
}

TEST_F(lb_fixture, persistence_template_lives_while_it_controls_a_flow) {
    use({web(60s)});
    const ipv4_addr first = connect(client, 1000, at(0ms));
    auto ack = test::tcp_frame(client, 1000, vip, 80, ACK);
    ASSERT_TRUE(send(ack, at(1s)).ok()); // ESTABLISHED: 900 s
    // Long after persistence_timeout, the established flow still holds the
    // template (IPVS n_control): new connections follow it.
    eng.expire(at(500s), 2048);
    EXPECT_EQ(eng.templates().size(), 1u);
    EXPECT_EQ(connect(client, 1001, at(500s)), first);
}

TEST_F(lb_fixture, persistence_moves_off_a_drained_server) {
    use({web(60s)});
    const ipv4_addr first = connect(client, 1000, at(0ms));
    ASSERT_EQ(first, rs_a);
    auto cfg = web(60s);
    cfg.real_servers[0].weight = 0;
    use({cfg});
    const ipv4_addr second = connect(client, 1001, at(1s));
    EXPECT_NE(second, rs_a);
    EXPECT_EQ(eng.stats().persist_resched, 1u);
    // ... and sticks to the new one.
    EXPECT_EQ(connect(client, 1002, at(2s)), second);
}

TEST_F(lb_fixture, lc_balances_over_live_flows) {
    auto cfg = web();
    cfg.scheduler = scheduler_kind::lc;
    use({cfg});
    std::vector<int> per(3, 0);
    for (std::uint16_t p = 1; p <= 30; ++p) {
        const auto to = connect(client, p, at(0ms));
        per[to == rs_a ? 0 : to == rs_b ? 1 : 2]++;
    }
    EXPECT_EQ(per, (std::vector<int>{10, 10, 10}));
}

// An ICMP frag-needed from the client side quoting our reply, and a port
// unreachable from the real server, both through the engine.
test::frame icmp_error(ipv4_addr src, ipv4_addr dst, std::uint8_t code, const test::frame& quoted) {
    const auto l3 = std::span<const std::uint8_t>(quoted.bytes).subspan(quoted.meta.l3_offset);
    std::vector<std::uint8_t> msg(8 + quoted.ip().total_length());
    msg[0] = 3;
    msg[1] = code;
    net::store_be16(msg.data() + 6, code == 4 ? 1300 : 0);
    std::copy_n(l3.begin(), msg.size() - 8, msg.begin() + 8);
    net::store_be16(msg.data() + 2, net::internet_checksum(msg));
    std::vector<std::uint8_t> buf(2048);
    const auto n =
        net::build_ipv4_frame(buf, test::l2, {.src = src, .dst = dst}, net::ip_proto_icmp, msg);
    return test::finish(std::move(buf), n);
}

TEST_F(lb_fixture, icmp_errors_follow_the_flow) {
    use({web()});
    connect(client, 40000, at(0ms));
    const ipv4_addr router{198, 51, 100, 1};

    // Client side: frag needed about VIP:80 -> client:40000.
    const auto big_reply = test::tcp_frame(vip, 80, client, 40000, ACK, test::payload_bytes(200));
    auto e1 = icmp_error(router, vip, 4, big_reply);
    auto v = eng.icmp_error(e1.span(), e1.meta, at(1ms));
    ASSERT_TRUE(v.ok()) << drop_reason_name(v.reason);
    EXPECT_EQ(v.dir, direction::forward);
    EXPECT_EQ(v.next_hop, rs_a);
    auto m = e1.reparse();
    EXPECT_EQ(m.dst, rs_a);
    auto icmp = std::span<const std::uint8_t>(e1.bytes).subspan(m.l4_offset, m.l4_len);
    EXPECT_TRUE(net::checksum_ok(icmp));
    const auto inner = icmp.subspan(8);
    EXPECT_TRUE(net::checksum_ok(inner.first(20)));
    EXPECT_TRUE(net::tcp_checksum_ok(rs_a, client, inner.subspan(20)));

    // Real-server side: port unreachable about client:40000 -> RS:8080.
    const auto fwd = test::tcp_frame(client, 40000, rs_a, 8080, ACK);
    auto e2 = icmp_error(rs_a, client, 3, fwd);
    v = eng.icmp_error(e2.span(), e2.meta, at(2ms));
    ASSERT_TRUE(v.ok()) << drop_reason_name(v.reason);
    EXPECT_EQ(v.dir, direction::reply);
    EXPECT_EQ(v.next_hop, client);
    m = e2.reparse();
    EXPECT_EQ(m.src, vip);
    icmp = std::span<const std::uint8_t>(e2.bytes).subspan(m.l4_offset, m.l4_len);
    EXPECT_TRUE(net::checksum_ok(icmp));
    EXPECT_TRUE(net::tcp_checksum_ok(client, vip, icmp.subspan(8 + 20)));

    // About a flow that does not exist.
    const auto stranger = test::tcp_frame(vip, 80, client, 40001, ACK);
    auto e3 = icmp_error(router, vip, 4, stranger);
    EXPECT_EQ(eng.icmp_error(e3.span(), e3.meta, at(3ms)).reason, drop_reason::lb_icmp_no_flow);
}

TEST_F(lb_fixture, expire_is_bounded_by_budget) {
    eng = make_engine({.flow_capacity = 256});
    use({web()});
    for (std::uint16_t p = 1; p <= 200; ++p) {
        connect(client, p, at(0ms));
    }
    // SYN_RECV: 60 s.
    const auto r = eng.expire(at(60s), 32);
    EXPECT_EQ(r.examined, 32u);
    EXPECT_LE(r.removed, 32u);
    EXPECT_GE(eng.flows().size(), 200u - 32u);
}

TEST(engine, create_validates) {
    timeouts bad;
    bad.tcp_established = 0ms;
    EXPECT_FALSE(engine::create({.flow_capacity = 16, .state_timeouts = bad}).ok());
    EXPECT_FALSE(engine::create({.flow_capacity = 0}).ok());
    EXPECT_FALSE(engine::create({.flow_capacity = 16, .persistence_capacity = 0}).ok());
    auto e = engine::create({.flow_capacity = 16, .persistence_capacity = 4});
    ASSERT_TRUE(e.ok());
    engine moved = std::move(e).value(); // hooks survive the move
    EXPECT_EQ(moved.flows().capacity(), 16u);
}

// keepalived's sorry_server: new flows go to it only while no real server
// is eligible; its flows keep it (replies are reverse-NATed) after the real
// servers come back; it never gets a persistence template.
TEST_F(lb_fixture, sorry_server_takes_new_flows_only_while_no_real_server_is_eligible) {
    const ipv4_addr sorry{172, 18, 0, 99};
    for (const seconds persistence : {0s, 300s}) {
        SCOPED_TRACE(persistence.count());
        eng = make_engine({});
        table = service_table{};
        auto cfg = web(persistence);
        cfg.sorry_server = real_server_config{.address = sorry, .port = 8081};
        use({cfg});
        ASSERT_EQ(table.services()[0].rs_count, 4u);
        const real_server& s = table.all_real_servers()[table.services()[0].sorry_rs];
        EXPECT_TRUE(s.sorry);
        EXPECT_FALSE(s.eligible());
        EXPECT_EQ(table.services()[0].eligible_count, 3u) << "the sorry server is not scheduled";
        // Real servers up: never the sorry server.
        for (std::uint16_t p = 1000; p < 1010; ++p) {
            EXPECT_NE(connect(client, p, at(0ms)), sorry);
        }
        // All down (one drained, two failed): the sorry server, on its port.
        for (auto& r : cfg.real_servers) {
            r.up = false;
        }
        cfg.real_servers[0].up = true;
        cfg.real_servers[0].weight = 0;
        use({cfg});
        auto f = test::tcp_frame(client, 2000, vip, 80, SYN);
        const auto v = send(f, at(1ms));
        ASSERT_TRUE(v.ok()) << drop_reason_name(v.reason);
        EXPECT_EQ(v.next_hop, sorry);
        EXPECT_EQ(f.reparse().dst_port, 8081);
        EXPECT_EQ(eng.stats().sorry_flows, 1u);
        EXPECT_EQ(eng.templates().size(), persistence.count() > 0 ? 1u : 0u)
            << "only the template of an earlier real-server flow";
        // Its SYN retransmitted: the same flow, not a reschedule.
        auto again = test::tcp_frame(client, 2000, vip, 80, SYN);
        ASSERT_TRUE(send(again, at(2ms)).ok());
        EXPECT_EQ(eng.stats().conn_reused, 0u);
        EXPECT_EQ(eng.stats().sorry_flows, 1u);
        // The sorry server's reply is reverse-NATed.
        auto reply = test::tcp_frame(sorry, 8081, client, 2000, SYN | ACK);
        const auto rv = send_reply(reply, at(3ms));
        ASSERT_TRUE(rv.ok()) << drop_reason_name(rv.reason);
        EXPECT_EQ(reply.reparse().src, vip);
        EXPECT_EQ(reply.reparse().src_port, 80);
        // A real server is back: new flows go to it, the sorry flow stays.
        cfg.real_servers[1].up = true;
        use({cfg});
        EXPECT_EQ(connect(client, 3000, at(4ms)), rs_b);
        auto data = test::tcp_frame(client, 2000, vip, 80, ACK);
        const auto dv = send(data, at(5ms));
        ASSERT_TRUE(dv.ok()) << drop_reason_name(dv.reason);
        EXPECT_EQ(dv.next_hop, sorry);
        EXPECT_EQ(eng.stats().sorry_flows, 1u);
    }
}

// Without a sorry server, nothing eligible is a drop.
TEST_F(lb_fixture, no_sorry_server_and_nothing_eligible_drops) {
    auto cfg = web();
    for (auto& r : cfg.real_servers) {
        r.up = false;
    }
    use({cfg});
    EXPECT_EQ(table.services()[0].sorry_rs, no_index);
    auto f = test::tcp_frame(client, 2000, vip, 80, SYN);
    EXPECT_EQ(send(f, at(0ms)).reason, drop_reason::lb_no_real_server);
    EXPECT_EQ(eng.stats().sorry_flows, 0u);
}

} // namespace
} // namespace vipgate::lb
