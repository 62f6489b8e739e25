// rr, wrr, lc, wlc, sh, mh: distributions, weights, draining, no server.
#include <gtest/gtest.h>

#include <map>
#include <numeric>
#include <vector>

#include "lb/hash.hpp"
#include "lb/scheduler.hpp"
#include "lb/service_table.hpp"

namespace vipgate::lb {
namespace {

using net::ipv4_addr;

// Pseudo-random but fixed client addresses.
ipv4_addr client_n(std::uint32_t i) {
    return ipv4_addr{static_cast<std::uint32_t>(fmix64(i + 1))};
}

service_config svc_with(scheduler_kind k, std::vector<std::uint32_t> weights) {
    service_config c{.vip = {192, 168, 44, 150}, .port = 80, .scheduler = k};
    for (std::size_t i = 0; i < weights.size(); ++i) {
        c.real_servers.push_back(
            {.address = ipv4_addr{172, 18, 0, static_cast<std::uint8_t>(i + 1)},
             .weight = weights[i]});
    }
    return c;
}

struct fixture {
    service_table table;
    scheduler_state state;
    const service& svc() const { return table.services()[0]; }

    static fixture make(const service_config& c) {
        auto t = service_table::build(std::span(&c, 1));
        EXPECT_TRUE(t.ok()) << t.message();
        auto s = scheduler_state::create({});
        EXPECT_TRUE(s.ok());
        return {std::move(t).value(), std::move(s).value()};
    }

    std::uint32_t pick(ipv4_addr client = {10, 0, 0, 1}, std::uint16_t port = 1000) {
        return schedule(table, svc(), state, client, port);
    }
    // Counts what n picks choose (clients and ports vary). Each pick becomes
    // an active flow, as the flow table would count it, so lc/wlc move on.
    std::map<std::uint32_t, int> histogram(int n) {
        std::map<std::uint32_t, int> h;
        const auto rs = table.real_servers(svc());
        for (int i = 0; i < n; ++i) {
            const auto p =
                pick(client_n(static_cast<std::uint32_t>(i)), static_cast<std::uint16_t>(1024 + i));
            ++h[p];
            if (p != no_index) {
                ++state.counts()[rs[p].slot].active;
            }
        }
        return h;
    }
};

TEST(scheduler_rr, cycles_through_eligible_servers) {
    auto f = fixture::make(svc_with(scheduler_kind::rr, {1, 5, 0, 1}));
    std::vector<std::uint32_t> seq;
    for (int i = 0; i < 6; ++i) {
        seq.push_back(f.pick());
    }
    // Server 2 (weight 0) is skipped; rr ignores the other weights.
    EXPECT_EQ(seq, (std::vector<std::uint32_t>{0, 1, 3, 0, 1, 3}));
}

// wrr: exact ratios over one cycle of sum(weight)/gcd picks, interleaved.
struct wrr_case {
    const char* name;
    std::vector<std::uint32_t> weights;
    std::vector<std::uint32_t> first_cycle; // IPVS's order
};

class scheduler_wrr : public ::testing::TestWithParam<wrr_case> {};

TEST_P(scheduler_wrr, exact_ratios_over_a_cycle) {
    const auto& c = GetParam();
    auto f = fixture::make(svc_with(scheduler_kind::wrr, c.weights));
    const auto cycle = c.first_cycle.size();
    std::vector<std::uint32_t> seq;
    for (std::size_t i = 0; i < cycle; ++i) {
        seq.push_back(f.pick());
    }
    EXPECT_EQ(seq, c.first_cycle);
    // Over several more cycles the counts are exactly proportional.
    std::map<std::uint32_t, std::size_t> h;
    for (std::size_t i = 0; i < 5 * cycle; ++i) {
        ++h[f.pick()];
    }
    std::uint32_t g = 0;
    for (auto w : c.weights) {
        g = std::gcd(g, w);
    }
    for (std::size_t i = 0; i < c.weights.size(); ++i) {
        EXPECT_EQ(h[static_cast<std::uint32_t>(i)], 5 * c.weights[i] / g) << "server " << i;
    }
}

INSTANTIATE_TEST_SUITE_P(ipvs, scheduler_wrr,
                         ::testing::Values(
                             // cw 4: A; 3: A B; 2: A B C; 1: A B C
                             wrr_case{"w432", {4, 3, 2}, {0, 0, 1, 0, 1, 2, 0, 1, 2}},
                             // gcd 2 -> mw = 4 - 1 = 3: cw 3: A; cw 1: A B
                             wrr_case{"w42_gcd", {4, 2}, {0, 0, 1}},
                             wrr_case{"equal", {7, 7, 7}, {0, 1, 2}},
                             wrr_case{"w5_1", {1, 5}, {1, 1, 1, 1, 0, 1}}),
                         [](const auto& tp) { return std::string(tp.param.name); });

TEST(scheduler_wrr, weight_zero_and_down_servers_never_picked) {
    auto c = svc_with(scheduler_kind::wrr, {3, 0, 2});
    c.real_servers.push_back({.address = {172, 18, 0, 9}, .weight = 10, .up = false});
    auto f = fixture::make(c);
    auto h = f.histogram(500);
    EXPECT_EQ(h.count(1), 0u);
    EXPECT_EQ(h.count(3), 0u);
    EXPECT_EQ(h[0], 300);
    EXPECT_EQ(h[2], 200);
}

TEST(scheduler_lc, picks_least_connections_ipvs_overhead) {
    auto f = fixture::make(svc_with(scheduler_kind::lc, {1, 1, 1}));
    const auto rs = f.table.real_servers(f.svc());
    auto cnt = f.state.counts();
    cnt[rs[0].slot] = {.active = 2, .inactive = 0};   // 512
    cnt[rs[1].slot] = {.active = 1, .inactive = 300}; // 556
    cnt[rs[2].slot] = {.active = 1, .inactive = 255}; // 511
    EXPECT_EQ(f.pick(), 2u);
    cnt[rs[2].slot].inactive = 256; // 512: tie with 0, the first wins
    EXPECT_EQ(f.pick(), 0u);
}

TEST(scheduler_wlc, picks_least_connections_per_weight) {
    auto f = fixture::make(svc_with(scheduler_kind::wlc, {1, 3, 2}));
    const auto rs = f.table.real_servers(f.svc());
    auto cnt = f.state.counts();
    cnt[rs[0].slot] = {.active = 2}; // 512 / 1
    cnt[rs[1].slot] = {.active = 5}; // 1280 / 3 = 426
    cnt[rs[2].slot] = {.active = 3}; // 768 / 2 = 384
    EXPECT_EQ(f.pick(), 2u);
    cnt[rs[2].slot].active = 4; // 1024 / 2 = 512
    EXPECT_EQ(f.pick(), 1u);
}

TEST(scheduler_wlc, fills_servers_in_weight_proportion) {
    auto f = fixture::make(svc_with(scheduler_kind::wlc, {1, 3}));
    const auto rs = f.table.real_servers(f.svc());
    auto cnt = f.state.counts();
    for (int i = 0; i < 400; ++i) {
        ++cnt[rs[f.pick()].slot].active; // each pick becomes an active flow
    }
    EXPECT_EQ(cnt[rs[0].slot].active, 100u);
    EXPECT_EQ(cnt[rs[1].slot].active, 300u);
}

TEST(scheduler_lc, drained_server_is_skipped_even_when_idle) {
    for (auto k : {scheduler_kind::lc, scheduler_kind::wlc}) {
        auto f = fixture::make(svc_with(k, {0, 1}));
        const auto rs = f.table.real_servers(f.svc());
        f.state.counts()[rs[1].slot] = {.active = 1000};
        EXPECT_EQ(f.pick(), 1u) << scheduler_name(k);
    }
}

TEST(scheduler_sh, stable_per_client_and_weighted) {
    auto f = fixture::make(svc_with(scheduler_kind::sh, {1, 3}));
    std::map<std::uint32_t, int> h;
    for (std::uint32_t i = 0; i < 4000; ++i) {
        const ipv4_addr client = client_n(i);
        const auto first = f.pick(client, 1000);
        // Same client, other ports, other times: same server.
        EXPECT_EQ(f.pick(client, 2000), first);
        EXPECT_EQ(f.pick(client, 3000), first);
        ++h[first];
    }
    // 256 buckets dealt 1:3 -> 64:192 buckets; clients spread accordingly.
    EXPECT_NEAR(h[1] / static_cast<double>(h[0]), 3.0, 0.45);
}

TEST(scheduler_sh, hash_port_spreads_one_client) {
    auto c = svc_with(scheduler_kind::sh, {1, 1, 1, 1});
    c.hash_port = true;
    auto f = fixture::make(c);
    std::map<std::uint32_t, int> h;
    for (std::uint16_t p = 1024; p < 1024 + 400; ++p) {
        ++h[f.pick({10, 0, 0, 1}, p)];
    }
    EXPECT_EQ(h.size(), 4u);
}

TEST(scheduler_mh, stable_per_client_and_spread) {
    auto f = fixture::make(svc_with(scheduler_kind::mh, {1, 1, 1, 1, 1}));
    std::map<std::uint32_t, int> h;
    for (std::uint32_t i = 0; i < 10000; ++i) {
        const ipv4_addr client{0x0a000000u + i};
        const auto first = f.pick(client, 1000);
        EXPECT_EQ(f.pick(client, 4321), first); // port not hashed by default
        ++h[first];
    }
    ASSERT_EQ(h.size(), 5u);
    for (const auto& [rs, n] : h) {
        EXPECT_NEAR(n, 2000, 200) << "server " << rs;
    }
}

TEST(scheduler_mh, weights_by_multiplicity) {
    auto f = fixture::make(svc_with(scheduler_kind::mh, {1, 2}));
    const auto table = f.table.lookup_table(f.svc());
    ASSERT_EQ(table.size(), 65537u);
    std::size_t n0 = 0;
    std::size_t n1 = 0;
    for (auto e : table) {
        n0 += e == 0;
        n1 += e == 1;
    }
    EXPECT_EQ(n0 + n1, table.size());
    EXPECT_NEAR(static_cast<double>(n1) / static_cast<double>(n0), 2.0, 0.05);
}

// Weight 0 = no new flows, for every scheduler; nothing eligible = no_index.
class scheduler_all : public ::testing::TestWithParam<scheduler_kind> {};

TEST_P(scheduler_all, weight_zero_drains) {
    auto f = fixture::make(svc_with(GetParam(), {1, 0, 1}));
    auto h = f.histogram(3000);
    EXPECT_EQ(h.count(1), 0u);
    EXPECT_EQ(h.count(no_index), 0u);
    EXPECT_GT(h[0], 0);
    EXPECT_GT(h[2], 0);
}

TEST_P(scheduler_all, down_server_gets_nothing) {
    auto c = svc_with(GetParam(), {1, 1, 1});
    c.real_servers[0].up = false;
    auto f = fixture::make(c);
    auto h = f.histogram(3000);
    EXPECT_EQ(h.count(0), 0u);
    EXPECT_EQ(h.count(no_index), 0u);
}

TEST_P(scheduler_all, nothing_eligible_returns_no_index) {
    auto c = svc_with(GetParam(), {0, 0});
    c.real_servers.push_back({.address = {172, 18, 0, 9}, .weight = 5, .up = false});
    auto f = fixture::make(c);
    EXPECT_EQ(f.pick(), no_index);
    auto empty = fixture::make(svc_with(GetParam(), {}));
    EXPECT_EQ(empty.pick(), no_index);
}

INSTANTIATE_TEST_SUITE_P(kinds, scheduler_all,
                         ::testing::Values(scheduler_kind::rr, scheduler_kind::wrr,
                                           scheduler_kind::lc, scheduler_kind::wlc,
                                           scheduler_kind::sh, scheduler_kind::mh),
                         [](const auto& tp) { return std::string(scheduler_name(tp.param)); });

TEST(scheduler_wrr, survives_a_snapshot_with_fewer_servers) {
    auto f = fixture::make(svc_with(scheduler_kind::wrr, {5, 5, 5, 5}));
    for (int i = 0; i < 4; ++i) {
        f.pick();
    }
    EXPECT_EQ(f.state.mark(f.svc().slot).index, 3);
    // Rebuilt with two servers: the mark is out of range and is pulled back.
    const auto c2 = svc_with(scheduler_kind::wrr, {5, 5});
    auto t2 = service_table::build(std::span(&c2, 1), {}, &f.table);
    ASSERT_TRUE(t2.ok());
    const auto& s2 = t2->services()[0];
    EXPECT_EQ(s2.slot, f.svc().slot);
    const auto a = schedule(*t2, s2, f.state, {10, 0, 0, 1}, 1);
    const auto b = schedule(*t2, s2, f.state, {10, 0, 0, 1}, 1);
    EXPECT_LT(a, 2u);
    EXPECT_LT(b, 2u);
    EXPECT_NE(a, b);
}

} // namespace
} // namespace vipgate::lb
