// NIC steering rules (lb/steering.hpp): for many random packets of both
// directions, the rule a NIC would apply sends the packet to the queue of the
// worker that owner_of() names, for every power-of-two worker count; other
// counts fall back to RSS + hand-off with a reason.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <vector>

#include "lb/owner.hpp"
#include "lb/steering.hpp"
#include "test_util.hpp"

namespace vipgate::lb {
namespace {

using net::ipv4_addr;
using namespace std::chrono_literals;

const ipv4_addr vip{192, 168, 44, 150};
const ipv4_addr vip2{192, 168, 44, 151};

// Every owner policy: by port (tcp, udp), persistent /24, /32, /1 (fewer
// network bits than some worker counts need) and /0, and a persistent and a
// plain service sharing a real-server endpoint (the group becomes persistent).
std::vector<service_config> configs() {
    std::vector<service_config> c;
    c.push_back({.vip = vip,
                 .port = 80,
                 .real_servers = {{.address = {172, 18, 0, 2}, .port = 8080},
                                  {.address = {172, 18, 0, 3}, .port = 8080}}});
    c.push_back({.vip = vip,
                 .port = 53,
                 .proto = protocol::udp,
                 .real_servers = {{.address = {172, 18, 0, 2}, .port = 53}}});
    c.push_back({.vip = vip,
                 .port = 3306,
                 .persistence_timeout = 50s,
                 .persistence_netmask = {255, 255, 255, 0},
                 .real_servers = {{.address = {172, 18, 0, 4}}, {.address = {172, 18, 0, 5}}}});
    c.push_back({.vip = vip,
                 .port = 443,
                 .persistence_timeout = 50s,
                 .real_servers = {{.address = {172, 18, 0, 6}}}});
    c.push_back({.vip = vip2,
                 .port = 443,
                 .persistence_timeout = 50s,
                 .persistence_netmask = {128, 0, 0, 0},
                 .real_servers = {{.address = {172, 18, 0, 7}}}});
    c.push_back({.vip = vip2,
                 .port = 25,
                 .persistence_timeout = 50s,
                 .persistence_netmask = {0, 0, 0, 0},
                 .real_servers = {{.address = {172, 18, 0, 8}}}});
    // Shares 172.18.0.6:443 with the persistent /32 service on vip:443.
    c.push_back(
        {.vip = vip2, .port = 8443, .real_servers = {{.address = {172, 18, 0, 6}, .port = 443}}});
    return c;
}

service_table make_table() {
    const auto cfg = configs();
    auto t = service_table::build(cfg);
    EXPECT_TRUE(t.ok()) << t.message();
    return std::move(t).value();
}

test::frame packet(protocol p, ipv4_addr src, std::uint16_t sport, ipv4_addr dst,
                   std::uint16_t dport) {
    return p == protocol::tcp ? test::tcp_frame(src, sport, dst, dport, net::tcp_flag_ack)
                              : test::udp_frame(src, sport, dst, dport);
}

// The queues of every rule a packet matches at the best priority: one queue,
// or the NIC's choice would depend on rule order.
std::set<unsigned> best_queues(const steering_plan& plan, const net::packet_meta& m) {
    std::set<unsigned> queues;
    unsigned best = ~0u;
    for (const auto& r : plan.rules) {
        if (!steer_matches(r.match, m.ip_proto, m.src, m.src_port, m.dst, m.dst_port)) {
            continue;
        }
        if (r.priority < best) {
            best = r.priority;
            queues.clear();
        }
        if (r.priority == best) {
            queues.insert(r.queue);
        }
    }
    return queues;
}

// Checks one packet: it matches rules of exactly one queue, that queue is
// the owner, and steer_queue() agrees.
void expect_steered(const steering_plan& plan, const service_table& table, const test::frame& f,
                    unsigned n) {
    const auto owner = owner_of(table, f.bytes, f.meta, n);
    ASSERT_TRUE(owner.has_value());
    const auto queues = best_queues(plan, f.meta);
    ASSERT_EQ(queues.size(), 1u) << "rules of " << queues.size() << " queues match";
    EXPECT_EQ(*queues.begin(), *owner);
    EXPECT_EQ(steer_queue(plan, f.meta.ip_proto, f.meta.src, f.meta.src_port, f.meta.dst,
                          f.meta.dst_port),
              static_cast<int>(*owner));
}

class steering_pow2 : public ::testing::TestWithParam<unsigned> {};

TEST_P(steering_pow2, every_packet_lands_on_its_owner) {
    const unsigned n = GetParam();
    const auto table = make_table();
    const auto plan = plan_steering(table, n);
    ASSERT_TRUE(plan.expressible) << plan.reason;
    std::mt19937 rng(1234 + n);
    std::vector<unsigned> hits(n, 0);
    for (int i = 0; i < 4000; ++i) {
        const auto& svc = table.services()[rng() % table.services().size()];
        const auto& rs = table.real_servers(svc)[rng() % svc.rs_count];
        const ipv4_addr client{static_cast<std::uint32_t>(rng())};
        const auto cport = static_cast<std::uint16_t>(1 + rng() % 65535);
        SCOPED_TRACE(client.to_string() + ":" + std::to_string(cport) + " -> " +
                     svc.vip.to_string() + ":" + std::to_string(svc.port));
        const auto fwd = packet(svc.proto, client, cport, svc.vip, svc.port);
        const auto rep = packet(svc.proto, rs.address, rs.port, client, cport);
        expect_steered(plan, table, fwd, n);
        expect_steered(plan, table, rep, n);
        ++hits[owner_worker(svc, client, cport, svc.proto, n)];
    }
    // Random clients reach every worker.
    for (unsigned w = 0; w < n; ++w) {
        EXPECT_GT(hits[w], 4000u / n / 2) << "worker " << w;
    }
}

TEST_P(steering_pow2, rule_shapes) {
    const unsigned n = GetParam();
    const auto table = make_table();
    const auto plan = plan_steering(table, n);
    const auto& plain = *table.find_service(vip, 80, protocol::tcp);
    std::size_t from_client = 0, from_rs = 0;
    for (const auto& r : plan.rules) {
        ASSERT_LT(r.queue, n);
        if (r.direction == steer_direction::from_client) {
            ++from_client;
            EXPECT_EQ(r.priority, 0u);
            EXPECT_EQ(r.match.dst_mask, 0xffffffffu);
            EXPECT_EQ(r.match.dst_port_mask, 0xffff);
        } else {
            ++from_rs;
            EXPECT_EQ(r.priority, 1u);
            EXPECT_EQ(r.match.src_mask, 0xffffffffu);
            EXPECT_EQ(r.match.src_port_mask, 0xffff);
        }
    }
    // The /1 service has 2 network keys, the /0 one a single key.
    const auto per = [n](unsigned keys) { return std::min(n, keys); };
    const std::size_t services = 5 * n + per(2) + per(1);
    EXPECT_EQ(from_client, services);
    // Endpoints: 172.18.0.2:8080, .3:8080, .2:53/udp, .4:3306, .5:3306,
    // .6:443 (shared), .7:443 (/1), .8:25 (/0).
    EXPECT_EQ(from_rs, 6 * n + per(2) + per(1));
    // The plain TCP service: source port low bits.
    const steer_match first{.ip_proto = 6,
                            .dst = vip.value,
                            .dst_mask = 0xffffffffu,
                            .src_port = 0,
                            .src_port_mask = static_cast<std::uint16_t>(n - 1),
                            .dst_port = 80,
                            .dst_port_mask = 0xffff};
    EXPECT_EQ(plan.rules.front().match, first);
    EXPECT_TRUE(plain.owner_by_port);
}

TEST_P(steering_pow2, hairpin_and_other_traffic) {
    const unsigned n = GetParam();
    const auto table = make_table();
    const auto plan = plan_steering(table, n);
    // A real server that is a client of a VIP: the forward rule wins, as in
    // classify().
    for (int client_port : {8080, 8081, 8082, 8083}) {
        const auto f = packet(protocol::tcp, {172, 18, 0, 2},
                              static_cast<std::uint16_t>(client_port), vip, 80);
        EXPECT_EQ(classify(table, f.bytes, f.meta).kind, packet_kind::forward);
        expect_steered(plan, table, f, n);
    }
    // Not load-balancer traffic: no rule (RSS decides).
    EXPECT_EQ(steer_queue(plan, 6, {10, 0, 0, 1}, 1000, {10, 0, 0, 2}, 80), -1);
    EXPECT_EQ(steer_queue(plan, 17, {10, 0, 0, 1}, 1000, vip, 80), -1);
    EXPECT_EQ(steer_queue(plan, 6, {10, 0, 0, 1}, 1000, vip, 81), -1);
    EXPECT_EQ(steer_queue(plan, 6, {172, 18, 0, 2}, 8081, {10, 0, 0, 1}, 1000), -1);
}

INSTANTIATE_TEST_SUITE_P(workers, steering_pow2, ::testing::Values(1u, 2u, 4u, 8u),
                         [](const auto& tp) { return std::to_string(tp.param); });

TEST(steering, other_worker_counts_fall_back_with_a_reason) {
    const auto table = make_table();
    for (unsigned n : {3u, 5u, 6u, 12u}) {
        const auto plan = plan_steering(table, n);
        EXPECT_FALSE(plan.expressible) << n;
        EXPECT_TRUE(plan.rules.empty());
        EXPECT_NE(plan.reason.find(std::to_string(n) + " workers is not a power of two"),
                  std::string::npos)
            << plan.reason;
    }
}

TEST(steering, no_services_no_rules) {
    const service_table empty;
    const auto plan = plan_steering(empty, 4);
    EXPECT_TRUE(plan.expressible);
    EXPECT_TRUE(plan.rules.empty());
}

} // namespace
} // namespace vipgate::lb
