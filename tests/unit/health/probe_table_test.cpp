#include <gtest/gtest.h>

#include "health/probe_table.hpp"
#include "net/headers.hpp"

using namespace vipgate;
using health::outcome;
using health::verdict;

namespace {

const health::endpoint rs1{net::ipv4_addr{10, 0, 0, 2}, 80};
const health::endpoint rs2{net::ipv4_addr{10, 0, 0, 3}, 8080};

constexpr std::uint8_t syn_ack = net::tcp_flag_syn | net::tcp_flag_ack;
constexpr std::uint8_t rst_ack = net::tcp_flag_rst | net::tcp_flag_ack;

health::probe_table_config ports(std::uint16_t first, std::uint16_t last, std::uint64_t seed = 42) {
    health::probe_table_config c;
    c.port_first = first;
    c.port_last = last;
    c.isn_seed = seed;
    return c;
}

// The segment a server sends back to probe `p`.
health::segment answer(const health::syn_params& p, std::uint8_t flags, std::uint32_t ack_delta = 1,
                       std::uint32_t seq = 0x5000) {
    return health::segment{p.dst.ip, p.dst.port, p.src_port, flags, seq, p.isn + ack_delta};
}

} // namespace

TEST(HealthProbeTable, ValidateRejectsEmptyOrZeroRanges) {
    EXPECT_TRUE(health::validate(health::probe_table_config{}).ok());
    EXPECT_TRUE(health::validate(ports(61000, 61000)).ok());
    EXPECT_FALSE(health::validate(ports(0, 10)).ok());
    EXPECT_FALSE(health::validate(ports(61001, 61000)).ok());
}

TEST(HealthProbeTable, DefaultRangeIs61000To61999) {
    health::probe_table t(health::probe_table_config{});
    EXPECT_EQ(t.capacity(), 1000u);
    EXPECT_TRUE(t.in_range(61000));
    EXPECT_TRUE(t.in_range(61999));
    EXPECT_FALSE(t.in_range(60999));
    EXPECT_FALSE(t.in_range(62000));
}

TEST(HealthProbeTable, OpenHandsOutPortsRoundRobinAndSeededIsns) {
    health::probe_table a(ports(61000, 61009, 7));
    health::probe_table b(ports(61000, 61009, 7));
    health::probe_table c(ports(61000, 61009, 8));
    auto a1 = a.open(1, 1, rs1);
    auto a2 = a.open(2, 1, rs2);
    auto b1 = b.open(1, 1, rs1);
    auto c1 = c.open(1, 1, rs1);
    ASSERT_TRUE(a1 && a2 && b1 && c1);
    EXPECT_EQ(a1->src_port, 61000);
    EXPECT_EQ(a2->src_port, 61001);
    EXPECT_EQ(a1->dst, rs1);
    EXPECT_EQ(a2->dst, rs2);
    EXPECT_EQ(a1->isn, b1->isn) << "same seed, same ISNs (deterministic tests)";
    EXPECT_NE(a1->isn, c1->isn) << "the seed matters";
    EXPECT_NE(a1->isn, a2->isn) << "a fresh ISN per probe";
    EXPECT_EQ(a.in_flight(), 2u);
    EXPECT_EQ(a.stats().opened, 2u);
    auto pending = a.pending(2);
    ASSERT_TRUE(pending);
    EXPECT_EQ(pending->src_port, a2->src_port);
    EXPECT_EQ(pending->isn, a2->isn);
    EXPECT_FALSE(a.pending(3));
}

TEST(HealthProbeTable, SynSpecIsABareSynWithTheIsn) {
    health::probe_table t(ports(61000, 61009));
    auto p = t.open(1, 1, rs1);
    ASSERT_TRUE(p);
    const net::tcp_spec s = p->tcp_spec();
    EXPECT_EQ(s.src_port, 61000);
    EXPECT_EQ(s.dst_port, 80);
    EXPECT_EQ(s.seq, p->isn);
    EXPECT_EQ(s.ack, 0u);
    EXPECT_EQ(s.flags, net::tcp_flag_syn);
    EXPECT_EQ(s.window, health::probe_syn_window);
    EXPECT_TRUE(s.options.empty());
    EXPECT_TRUE(s.payload.empty());
}

TEST(HealthProbeTable, SynAckAcknowledgingTheIsnIsAliveAndGetsARst) {
    health::probe_table t(ports(61000, 61009));
    auto p = t.open(5, 17, rs1);
    ASSERT_TRUE(p);
    health::match_result m = t.match(answer(*p, syn_ack));
    EXPECT_EQ(m.what, verdict::matched);
    EXPECT_EQ(m.owner, 5u);
    EXPECT_EQ(m.probe_id, 17u);
    EXPECT_EQ(m.result, outcome::alive);
    ASSERT_TRUE(m.rst);
    EXPECT_EQ(m.rst->dst, rs1);
    EXPECT_EQ(m.rst->src_port, p->src_port);
    EXPECT_EQ(m.rst->seq, p->isn + 1u) << "RFC 9293 §3.5.2: SEQ = SEG.ACK";
    const net::tcp_spec s = m.rst->tcp_spec();
    EXPECT_EQ(s.flags, net::tcp_flag_rst);
    EXPECT_EQ(s.seq, p->isn + 1u);
    EXPECT_EQ(s.ack, 0u);
    EXPECT_EQ(s.window, 0);
    EXPECT_EQ(s.src_port, p->src_port);
    EXPECT_EQ(s.dst_port, 80);
    EXPECT_EQ(t.in_flight(), 0u) << "an answered probe frees its port";
    EXPECT_EQ(t.stats().alive, 1u);
    EXPECT_EQ(t.stats().rsts, 1u);
}

TEST(HealthProbeTable, RstAckAcknowledgingTheIsnIsRefused) {
    health::probe_table t(ports(61000, 61009));
    auto p = t.open(5, 3, rs1);
    ASSERT_TRUE(p);
    health::match_result m = t.match(answer(*p, rst_ack));
    EXPECT_EQ(m.what, verdict::matched);
    EXPECT_EQ(m.result, outcome::refused);
    EXPECT_EQ(m.probe_id, 3u);
    EXPECT_FALSE(m.rst) << "never answer a RST";
    EXPECT_EQ(t.in_flight(), 0u);
    EXPECT_EQ(t.stats().refused, 1u);
}

// Segments that must not be believed: the probe stays in flight.
TEST(HealthProbeTable, RejectsSegmentsThatDoNotAnswerTheProbe) {
    struct row {
        const char* name;
        health::segment (*make)(const health::syn_params&);
        verdict want;
        bool rst; // a RST goes back
    };
    const row rows[] = {
        {"SYN-ACK, ACK = ISN", [](const health::syn_params& p) { return answer(p, syn_ack, 0); },
         verdict::bad_ack, true},
        {"SYN-ACK, ACK = ISN + 2",
         [](const health::syn_params& p) { return answer(p, syn_ack, 2); }, verdict::bad_ack, true},
        {"RST-ACK, ACK = ISN + 2",
         [](const health::syn_params& p) { return answer(p, rst_ack, 2); }, verdict::bad_ack,
         false},
        {"RST without ACK",
         [](const health::syn_params& p) { return answer(p, net::tcp_flag_rst); }, verdict::unknown,
         false},
        {"bare SYN", [](const health::syn_params& p) { return answer(p, net::tcp_flag_syn); },
         verdict::unknown, false},
        {"pure ACK", [](const health::syn_params& p) { return answer(p, net::tcp_flag_ack); },
         verdict::unknown, false},
        {"FIN-ACK",
         [](const health::syn_params& p) {
             return answer(p, net::tcp_flag_fin | net::tcp_flag_ack);
         },
         verdict::unknown, false},
        {"other sender address",
         [](const health::syn_params& p) {
             health::segment s = answer(p, syn_ack);
             s.src_ip = net::ipv4_addr{10, 0, 0, 99};
             return s;
         },
         verdict::unknown, false},
        {"other sender port",
         [](const health::syn_params& p) {
             health::segment s = answer(p, syn_ack);
             s.src_port = 81;
             return s;
         },
         verdict::unknown, false},
        {"probe port never used",
         [](const health::syn_params& p) {
             health::segment s = answer(p, syn_ack);
             s.dst_port = static_cast<std::uint16_t>(p.src_port + 5);
             return s;
         },
         verdict::unknown, false},
        {"port out of range",
         [](const health::syn_params& p) {
             health::segment s = answer(p, syn_ack);
             s.dst_port = 443;
             return s;
         },
         verdict::unknown, false},
    };
    for (const row& r : rows) {
        health::probe_table t(ports(61000, 61009));
        auto p = t.open(1, 1, rs1);
        ASSERT_TRUE(p);
        const health::segment seg = r.make(*p);
        health::match_result m = t.match(seg);
        EXPECT_EQ(m.what, r.want) << r.name;
        EXPECT_EQ(m.rst.has_value(), r.rst) << r.name;
        if (m.rst) {
            EXPECT_EQ(m.rst->seq, seg.ack) << r.name;
        }
        EXPECT_EQ(t.in_flight(), 1u) << r.name << ": the probe is still waiting";
        EXPECT_EQ(t.stats().unknown, r.want == verdict::unknown ? 1u : 0u) << r.name;
        EXPECT_EQ(t.stats().bad_ack, r.want == verdict::bad_ack ? 1u : 0u) << r.name;
        // ...and the real answer is still accepted afterwards.
        EXPECT_EQ(t.match(answer(*p, syn_ack)).what, verdict::matched) << r.name;
    }
}

TEST(HealthProbeTable, LateAnswersAfterReleaseOrAnswerAreStale) {
    health::probe_table t(ports(61000, 61009));
    auto p = t.open(1, 1, rs1);
    ASSERT_TRUE(p);
    EXPECT_TRUE(t.release(1)); // the checker timed out
    EXPECT_FALSE(t.release(1)) << "nothing left to release";
    EXPECT_EQ(t.stats().released, 1u);

    health::match_result m = t.match(answer(*p, syn_ack));
    EXPECT_EQ(m.what, verdict::stale);
    ASSERT_TRUE(m.rst) << "the late SYN-ACK left a half-open connection: reset it";
    EXPECT_EQ(m.rst->seq, p->isn + 1u);
    EXPECT_EQ(t.match(answer(*p, rst_ack)).what, verdict::stale);
    EXPECT_FALSE(t.match(answer(*p, rst_ack)).rst);

    // A duplicate SYN-ACK after a matched one (our RST was lost).
    auto q = t.open(2, 1, rs2);
    ASSERT_TRUE(q);
    ASSERT_EQ(t.match(answer(*q, syn_ack)).what, verdict::matched);
    m = t.match(answer(*q, syn_ack));
    EXPECT_EQ(m.what, verdict::stale);
    EXPECT_TRUE(m.rst);
    EXPECT_EQ(t.stats().stale, 4u);
    EXPECT_EQ(t.stats().alive, 1u);
}

TEST(HealthProbeTable, OneProbePerOwner) {
    health::probe_table t(ports(61000, 61009));
    ASSERT_TRUE(t.open(1, 1, rs1));
    EXPECT_FALSE(t.open(1, 2, rs1)) << "the first is still in flight";
    EXPECT_EQ(t.stats().busy, 1u);
    EXPECT_EQ(t.in_flight(), 1u);
    ASSERT_TRUE(t.release(1));
    EXPECT_TRUE(t.open(1, 2, rs1));
}

TEST(HealthProbeTable, ExhaustionIsCountedAndAFreedPortIsUsedAgain) {
    health::probe_table t(ports(61000, 61001));
    auto p1 = t.open(1, 1, rs1);
    auto p2 = t.open(2, 1, rs1);
    ASSERT_TRUE(p1 && p2);
    EXPECT_FALSE(t.open(3, 1, rs2));
    EXPECT_EQ(t.stats().exhausted, 1u);
    ASSERT_EQ(t.match(answer(*p1, rst_ack)).what, verdict::matched); // frees 61000
    auto p3 = t.open(3, 1, rs2);
    ASSERT_TRUE(p3);
    EXPECT_EQ(p3->src_port, p1->src_port);
    EXPECT_EQ(t.in_flight(), 2u);
}

TEST(HealthProbeTable, PortsAreReusedAsLateAsPossible) {
    health::probe_table t(ports(61000, 61002));
    std::vector<std::uint16_t> got;
    for (std::uint32_t i = 1; i <= 5; ++i) {
        auto p = t.open(1, i, rs1);
        ASSERT_TRUE(p);
        got.push_back(p->src_port);
        ASSERT_TRUE(t.release(1));
    }
    EXPECT_EQ(got, (std::vector<std::uint16_t>{61000, 61001, 61002, 61000, 61001}));
}

TEST(HealthProbeTable, AReusedPortOnlyMatchesItsNewProbe) {
    health::probe_table t(ports(61000, 61000)); // one port: every probe reuses it
    auto old_p = t.open(1, 1, rs1);
    ASSERT_TRUE(old_p);
    ASSERT_TRUE(t.release(1));
    auto new_p = t.open(2, 1, rs2);
    ASSERT_TRUE(new_p);
    ASSERT_EQ(new_p->src_port, old_p->src_port);
    // The old server's late SYN-ACK is from another sender: unknown.
    EXPECT_EQ(t.match(answer(*old_p, syn_ack)).what, verdict::unknown);
    ASSERT_TRUE(t.release(2));
    // Same server, same port, new ISN: the old ISN's SYN-ACK is a bad ACK.
    auto again = t.open(1, 2, rs1);
    ASSERT_TRUE(again);
    ASSERT_NE(again->isn, old_p->isn);
    health::match_result m = t.match(answer(*old_p, syn_ack));
    EXPECT_EQ(m.what, verdict::bad_ack);
    EXPECT_TRUE(m.rst);
    m = t.match(answer(*again, syn_ack));
    EXPECT_EQ(m.what, verdict::matched);
    EXPECT_EQ(m.owner, 1u);
    EXPECT_EQ(m.probe_id, 2u);
}

TEST(HealthProbeTable, ManyProbesAreEachMatchedToTheirOwner) {
    health::probe_table t(ports(61000, 61999, 1234));
    std::vector<health::syn_params> ps;
    for (std::uint32_t owner = 0; owner < 100; ++owner) {
        health::endpoint dst{net::ipv4_addr{10, 1, 0, static_cast<std::uint8_t>(owner)}, 80};
        auto p = t.open(owner, owner + 1000, dst);
        ASSERT_TRUE(p);
        ps.push_back(*p);
    }
    // Answer in reverse order.
    for (std::size_t i = ps.size(); i-- > 0;) {
        health::match_result m = t.match(answer(ps[i], i % 2 ? syn_ack : rst_ack));
        ASSERT_EQ(m.what, verdict::matched);
        EXPECT_EQ(m.owner, i);
        EXPECT_EQ(m.probe_id, i + 1000);
        EXPECT_EQ(m.result, i % 2 ? outcome::alive : outcome::refused);
    }
    EXPECT_EQ(t.in_flight(), 0u);
    EXPECT_EQ(t.stats().alive, 50u);
    EXPECT_EQ(t.stats().refused, 50u);
}

TEST(HealthProbeTable, VerdictNames) {
    EXPECT_STREQ(health::verdict_name(verdict::matched), "matched");
    EXPECT_STREQ(health::verdict_name(verdict::unknown), "unknown");
    EXPECT_STREQ(health::verdict_name(verdict::stale), "stale");
    EXPECT_STREQ(health::verdict_name(verdict::bad_ack), "bad_ack");
    EXPECT_STREQ(health::outcome_name(outcome::no_route), "no_route");
    EXPECT_STREQ(health::state_name(health::state::down), "DOWN");
    EXPECT_EQ(health::format_endpoint(rs2), "[10.0.0.3]:tcp:8080");
}
