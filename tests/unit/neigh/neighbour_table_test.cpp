#include <gtest/gtest.h>

#include "neigh/neighbour_table.hpp"

using namespace vipgate;
using namespace std::chrono_literals;
using neigh::usec;

namespace {
const net::mac_addr mac_a{{0x02, 0, 0, 0, 0, 0xa}};
const net::mac_addr mac_b{{0x02, 0, 0, 0, 0, 0xb}};
const net::ipv4_addr ip1{10, 0, 0, 1};
const net::ipv4_addr ip2{10, 0, 0, 2};

neigh::limits small() {
    neigh::limits l;
    l.max_entries = 2;
    l.reachable_time = 10s;
    l.retry_interval = 1s;
    l.retries = 3;
    l.failed_hold = 5s;
    return l;
}
} // namespace

TEST(Neighbour, LearnAddsRefreshesAndUpdates) {
    neigh::table t(small());
    EXPECT_EQ(t.learn(0, ip1, mac_a, usec{0}), neigh::learn_result::added);
    EXPECT_EQ(t.learn(0, ip1, mac_a, usec{1000}), neigh::learn_result::refreshed);
    EXPECT_EQ(t.learn(0, ip1, mac_b, usec{2000}), neigh::learn_result::updated);
    ASSERT_NE(t.find(ip1), nullptr);
    EXPECT_EQ(t.find(ip1)->mac, mac_b);
    EXPECT_EQ(t.stats().mac_changes, 1u);
}

TEST(Neighbour, IgnoresZeroAndMulticastMacs) {
    neigh::table t(small());
    EXPECT_EQ(t.learn(0, ip1, net::mac_addr{}, usec{0}), neigh::learn_result::ignored);
    EXPECT_EQ(t.learn(0, ip1, net::mac_addr::broadcast(), usec{0}), neigh::learn_result::ignored);
    EXPECT_EQ(t.size(), 0u);
}

TEST(Neighbour, FullTableRefusesNewEntries) {
    neigh::table t(small());
    EXPECT_EQ(t.learn(0, ip1, mac_a, usec{0}), neigh::learn_result::added);
    EXPECT_EQ(t.learn(0, ip2, mac_a, usec{0}), neigh::learn_result::added);
    EXPECT_EQ(t.learn(0, net::ipv4_addr{10, 0, 0, 3}, mac_a, usec{0}),
              neigh::learn_result::table_full);
    EXPECT_FALSE(t.resolve(0, net::ipv4_addr{10, 0, 0, 4}, usec{0}));
    EXPECT_EQ(t.stats().table_full, 2u);
}

TEST(Neighbour, ResolveProbesWithRetryThenFails) {
    neigh::table t(small());
    ASSERT_TRUE(t.resolve(3, ip1, usec{0}));
    auto p = t.tick(usec{0});
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].port, 3);
    EXPECT_EQ(p[0].target, ip1);
    EXPECT_TRUE(t.tick(usec{999'999}).empty()) << "retry before the interval";
    EXPECT_EQ(t.tick(1s).size(), 1u);
    EXPECT_EQ(t.tick(2s).size(), 1u);
    EXPECT_EQ(t.find(ip1)->st, neigh::state::incomplete);
    EXPECT_TRUE(t.tick(3s).empty());
    EXPECT_EQ(t.find(ip1)->st, neigh::state::failed);
    EXPECT_EQ(t.stats().requests_sent, 3u);
    EXPECT_EQ(t.stats().resolutions_failed, 1u);
    // A failed entry is forgotten after failed_hold.
    t.tick(3s + 5s);
    EXPECT_EQ(t.find(ip1), nullptr);
}

TEST(Neighbour, AnswerCompletesResolution) {
    neigh::table t(small());
    ASSERT_TRUE(t.resolve(0, ip1, usec{0}));
    ASSERT_EQ(t.tick(usec{0}).size(), 1u);
    EXPECT_EQ(t.learn(0, ip1, mac_a, usec{500}), neigh::learn_result::added);
    EXPECT_EQ(t.find(ip1)->st, neigh::state::reachable);
    EXPECT_TRUE(t.tick(5s).empty()) << "no more probes once reachable";
}

TEST(Neighbour, ReachableGoesStaleThenExpires) {
    neigh::table t(small());
    t.learn(0, ip1, mac_a, usec{0});
    t.tick(9s);
    EXPECT_EQ(t.find(ip1)->st, neigh::state::reachable);
    t.tick(10s);
    EXPECT_EQ(t.find(ip1)->st, neigh::state::stale);
    EXPECT_EQ(t.find(ip1)->mac, mac_a) << "stale entries stay usable";
    t.tick(19s);
    EXPECT_NE(t.find(ip1), nullptr);
    t.tick(20s);
    EXPECT_EQ(t.find(ip1), nullptr);
    EXPECT_EQ(t.stats().expired, 1u);
}

TEST(Neighbour, StaticEntriesNeverChangeOrExpire) {
    neigh::table t(small());
    t.add_static(1, ip1, mac_a);
    EXPECT_EQ(t.learn(0, ip1, mac_b, usec{0}), neigh::learn_result::ignored);
    t.tick(1000s);
    ASSERT_NE(t.find(ip1), nullptr);
    EXPECT_EQ(t.find(ip1)->mac, mac_a);
    EXPECT_EQ(t.find(ip1)->st, neigh::state::static_);
    t.clear_learnt();
    EXPECT_NE(t.find(ip1), nullptr);
}

TEST(Neighbour, NextDeadlineFollowsTheEarliestTimer) {
    neigh::table t(small());
    EXPECT_FALSE(t.next_deadline().has_value());
    t.learn(0, ip1, mac_a, usec{0});
    EXPECT_EQ(*t.next_deadline(), usec{10s});
    t.resolve(0, ip2, usec{2s});
    EXPECT_EQ(*t.next_deadline(), usec{2s});
}
