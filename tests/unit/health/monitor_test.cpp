#include <gtest/gtest.h>

#include <map>

#include "health/monitor.hpp"
#include "net/headers.hpp"

using namespace vipgate;
using namespace std::chrono_literals;
using health::outcome;
using health::state;
using health::usec;

namespace {

constexpr std::uint8_t syn_ack = net::tcp_flag_syn | net::tcp_flag_ack;
constexpr std::uint8_t rst_ack = net::tcp_flag_rst | net::tcp_flag_ack;

health::probe_table_config ports(std::uint16_t first = 61000, std::uint16_t last = 61999) {
    health::probe_table_config c;
    c.port_first = first;
    c.port_last = last;
    c.isn_seed = 99;
    return c;
}

health::checker_config check(std::uint8_t host, usec delay_loop = 10s, usec warmup = 0s,
                             std::uint32_t retry = 1) {
    health::checker_config c;
    c.target = {net::ipv4_addr{10, 0, 0, host}, 80};
    c.delay_loop = delay_loop;
    c.connect_timeout = 3s;
    c.retry = retry;
    c.delay_before_retry = 1s;
    c.warmup = warmup;
    return c;
}

health::segment reply(const health::syn_order& o, std::uint8_t flags) {
    return {o.syn.dst.ip, o.syn.dst.port, o.syn.src_port, flags, 0x1000, o.syn.isn + 1u};
}

} // namespace

TEST(HealthMonitor, SynAnswerRstRoundTrip) {
    health::monitor m(ports());
    const health::checker_id id = m.add(check(2), 0s);
    EXPECT_EQ(m.next_deadline(), usec{0s});
    health::actions a = m.tick(0s);
    ASSERT_EQ(a.syns.size(), 1u);
    const health::syn_order o = a.syns[0];
    EXPECT_EQ(o.checker, id);
    EXPECT_EQ(o.probe_id, 1u);
    EXPECT_EQ(o.syn.dst, (health::endpoint{net::ipv4_addr{10, 0, 0, 2}, 80}));
    EXPECT_EQ(o.syn.src_port, 61000);
    EXPECT_EQ(m.next_deadline(), usec{3s});

    a = m.on_segment(20ms, reply(o, syn_ack));
    ASSERT_EQ(a.rsts.size(), 1u);
    EXPECT_EQ(a.rsts[0].seq, o.syn.isn + 1u);
    EXPECT_EQ(a.rsts[0].src_port, o.syn.src_port);
    EXPECT_TRUE(a.changes.empty()) << "already UP";
    EXPECT_TRUE(a.syns.empty());
    EXPECT_EQ(m.next_deadline(), usec{10020ms});
    ASSERT_NE(m.find(id), nullptr);
    EXPECT_EQ(m.find(id)->stats().successes, 1u);
    EXPECT_EQ(m.probes().in_flight(), 0u);
}

TEST(HealthMonitor, TimeoutFreesThePortAndALateAnswerIsResetNotBelieved) {
    health::monitor m(ports(61000, 61000)); // one port
    const health::checker_id id = m.add(check(2, 10s, 0s, 0), 0s);
    health::actions a = m.tick(0s);
    ASSERT_EQ(a.syns.size(), 1u);
    const health::syn_order first = a.syns[0];
    a = m.tick(3s); // no answer
    ASSERT_EQ(a.changes.size(), 1u);
    EXPECT_EQ(a.changes[0].checker, id);
    EXPECT_EQ(a.changes[0].change.to, state::down);
    EXPECT_EQ(m.probes().in_flight(), 0u);

    a = m.on_segment(3500ms, reply(first, syn_ack));
    EXPECT_TRUE(a.changes.empty()) << "a late SYN-ACK must not bring it UP";
    ASSERT_EQ(a.rsts.size(), 1u);
    EXPECT_EQ(m.probes().stats().stale, 1u);
    EXPECT_FALSE(m.find(id)->is_up());

    a = m.tick(13s);
    ASSERT_EQ(a.syns.size(), 1u);
    EXPECT_EQ(a.syns[0].syn.src_port, 61000) << "the freed port is reused";
    EXPECT_NE(a.syns[0].syn.isn, first.syn.isn);
    a = m.on_segment(13001ms, reply(a.syns[0], syn_ack));
    ASSERT_EQ(a.changes.size(), 1u);
    EXPECT_EQ(a.changes[0].change.to, state::up);
    EXPECT_EQ(a.changes[0].change.at, usec{13001ms});
    EXPECT_EQ(a.changes[0].change.reason, "TCP connection to [10.0.0.2]:tcp:80 success.");
}

TEST(HealthMonitor, RefusedTakesItDownAfterRetries) {
    health::monitor m(ports());
    const health::checker_id id = m.add(check(5, 10s, 0s, 1), 0s);
    std::vector<usec> down_at;
    std::vector<usec> sent_at;
    usec now = 0s;
    for (int i = 0; i < 10 && down_at.empty(); ++i) {
        now = *m.next_deadline();
        health::actions a = m.tick(now);
        for (const auto& o : a.syns) {
            sent_at.push_back(now);
            // probe 1 alive, the rest refused, each 1 ms later
            health::actions b =
                m.on_segment(now + 1ms, reply(o, o.probe_id == 1 ? syn_ack : rst_ack));
            EXPECT_EQ(b.rsts.size(), o.probe_id == 1 ? 1u : 0u);
            for (const auto& c : b.changes) {
                down_at.push_back(c.change.at);
            }
        }
    }
    EXPECT_EQ(sent_at, (std::vector<usec>{0s, 10001ms, 11002ms}));
    ASSERT_EQ(down_at.size(), 1u);
    EXPECT_EQ(down_at[0], usec{11003ms});
    EXPECT_EQ(m.find(id)->stats().refused, 2u);
    EXPECT_EQ(m.probes().stats().refused, 2u);
    EXPECT_EQ(m.orphan_answers(), 0u);
}

TEST(HealthMonitor, ManyCheckersInterleaveExactly) {
    health::monitor m(ports());
    // Different delay_loop and warmup; every server answers after 1 ms.
    const health::checker_id a = m.add(check(1, 10s, 0s), 0s);
    const health::checker_id b = m.add(check(2, 4s, 1s), 0s);
    const health::checker_id c = m.add(check(3, 7s, 2500ms), 0s);
    std::map<health::checker_id, std::vector<std::int64_t>> sends; // ms
    std::vector<std::int64_t> wakeups;
    std::vector<std::pair<usec, health::segment>> answers; // pending, by time
    for (int guard = 0; guard < 200; ++guard) {
        usec next = *m.next_deadline();
        if (!answers.empty() && answers.front().first < next) {
            next = answers.front().first;
        }
        if (next > 20s) {
            break;
        }
        wakeups.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(next).count());
        if (!answers.empty() && answers.front().first == next) {
            health::actions r = m.on_segment(next, answers.front().second);
            EXPECT_EQ(r.rsts.size(), 1u);
            answers.erase(answers.begin());
            continue;
        }
        health::actions r = m.tick(next);
        ASSERT_FALSE(r.syns.empty()) << "woken at " << next.count() << " us for nothing";
        for (const auto& o : r.syns) {
            sends[o.checker].push_back(
                std::chrono::duration_cast<std::chrono::milliseconds>(next).count());
            answers.emplace_back(next + 1ms, reply(o, syn_ack));
        }
        std::sort(answers.begin(), answers.end(),
                  [](const auto& x, const auto& y) { return x.first < y.first; });
    }
    EXPECT_EQ(sends[a], (std::vector<std::int64_t>{0, 10001}));
    EXPECT_EQ(sends[b], (std::vector<std::int64_t>{1000, 5001, 9002, 13003, 17004}));
    EXPECT_EQ(sends[c], (std::vector<std::int64_t>{2500, 9501, 16502}));
    EXPECT_EQ(m.probes().stats().alive, 10u);
    EXPECT_EQ(m.probes().in_flight(), 0u);
    for (auto id : {a, b, c}) {
        EXPECT_TRUE(m.find(id)->is_up());
    }
}

TEST(HealthMonitor, NextDeadlineIsTheEarliestChecker) {
    health::monitor m(ports());
    EXPECT_FALSE(m.next_deadline()) << "no checkers, nothing to wait for";
    const health::checker_id a = m.add(check(1, 10s, 5s), 0s);
    EXPECT_EQ(m.next_deadline(), usec{5s});
    const health::checker_id b = m.add(check(2, 10s, 2s), 1s);
    EXPECT_EQ(m.next_deadline(), usec{3s});
    health::actions r = m.tick(3s);
    ASSERT_EQ(r.syns.size(), 1u);
    EXPECT_EQ(r.syns[0].checker, b);
    EXPECT_EQ(m.next_deadline(), usec{5s}) << "a's first probe before b's timeout (6 s)";
    r = m.tick(5s);
    ASSERT_EQ(r.syns.size(), 1u);
    EXPECT_EQ(r.syns[0].checker, a);
    EXPECT_EQ(m.next_deadline(), usec{6s}) << "b's timeout";
    EXPECT_TRUE(m.remove(b));
    EXPECT_EQ(m.next_deadline(), usec{8s}) << "a's timeout";
    EXPECT_TRUE(m.remove(a));
    EXPECT_FALSE(m.next_deadline());
}

TEST(HealthMonitor, PortExhaustionReschedulesWithoutAStateChange) {
    health::monitor m(ports(61000, 61000)); // one port for two checkers
    const health::checker_id a = m.add(check(1), 0s);
    const health::checker_id b = m.add(check(2), 0s);
    health::actions r = m.tick(0s);
    ASSERT_EQ(r.syns.size(), 1u);
    EXPECT_EQ(r.syns[0].checker, a);
    EXPECT_TRUE(r.changes.empty());
    EXPECT_EQ(m.probes().stats().exhausted, 1u);
    EXPECT_EQ(m.find(b)->stats().cancelled, 1u);
    EXPECT_TRUE(m.find(b)->is_up());
    EXPECT_EQ(m.find(b)->next_deadline(), usec{10s}) << "keepalived: reschedule after delay_loop";
    // a's answer frees the port; b gets it at 10 s.
    r = m.on_segment(1ms, reply(r.syns[0], syn_ack));
    r = m.tick(10s);
    ASSERT_EQ(r.syns.size(), 1u);
    EXPECT_EQ(r.syns[0].checker, b);
    EXPECT_EQ(r.syns[0].syn.src_port, 61000);
}

TEST(HealthMonitor, NoRouteIsAFailureAndFreesThePort) {
    health::monitor m(ports());
    const health::checker_id id = m.add(check(7, 10s, 0s, 0), 0s);
    health::actions r = m.tick(0s);
    ASSERT_EQ(r.syns.size(), 1u);
    const health::syn_order o = r.syns[0];
    EXPECT_TRUE(m.on_no_route(1s, id, o.probe_id + 1).empty()) << "not the probe in flight";
    EXPECT_TRUE(m.on_no_route(1s, id + 100, o.probe_id).empty()) << "no such checker";
    EXPECT_EQ(m.probes().in_flight(), 1u);
    r = m.on_no_route(1s, id, o.probe_id);
    ASSERT_EQ(r.changes.size(), 1u);
    EXPECT_EQ(r.changes[0].change.cause, outcome::no_route);
    EXPECT_EQ(m.probes().in_flight(), 0u);
    EXPECT_EQ(m.probes().stats().released, 1u);
    EXPECT_EQ(m.find(id)->stats().no_route, 1u);
}

TEST(HealthMonitor, RemoveForgetsTheCheckerAndItsProbe) {
    health::monitor m(ports());
    const health::checker_id a = m.add(check(1), 0s);
    const health::checker_id b = m.add(check(2), 0s);
    EXPECT_NE(a, b);
    health::actions r = m.tick(0s);
    ASSERT_EQ(r.syns.size(), 2u);
    EXPECT_TRUE(m.remove(a));
    EXPECT_FALSE(m.remove(a));
    EXPECT_EQ(m.find(a), nullptr);
    EXPECT_EQ(m.size(), 1u);
    EXPECT_EQ(m.probes().in_flight(), 1u);
    // a's server answers after all: reset, nobody's business.
    health::actions late = m.on_segment(1ms, reply(r.syns[0], syn_ack));
    EXPECT_EQ(late.rsts.size(), 1u);
    EXPECT_TRUE(late.changes.empty());
    EXPECT_EQ(m.probes().stats().stale, 1u);
    const health::checker_id c = m.add(check(3), 0s);
    EXPECT_GT(c, b) << "ids are never reused";
}
