// The immutable service snapshot: capacity, lookups, stable slots, owner
// policy.
#include <gtest/gtest.h>

#include "lb/service_table.hpp"

namespace vipgate::lb {
namespace {

using net::ipv4_addr;
using namespace std::chrono_literals;

const ipv4_addr vip1{192, 168, 44, 150};
const ipv4_addr vip2{192, 168, 44, 151};

service_config web(ipv4_addr vip = vip1, std::uint16_t port = 80) {
    return {.vip = vip,
            .port = port,
            .scheduler = scheduler_kind::wrr,
            .real_servers = {{.address = {172, 18, 0, 2}, .port = 8080, .weight = 4},
                             {.address = {172, 18, 0, 3}, .weight = 2},
                             {.address = {172, 18, 0, 4}, .weight = 0}}};
}

TEST(service_table, lookups_by_vip_and_by_real_server) {
    const std::vector<service_config> cfg = {web(), web(vip2, 443)};
    auto t = service_table::build(cfg);
    ASSERT_TRUE(t.ok()) << t.message();
    ASSERT_EQ(t->services().size(), 2u);

    const service* s = t->find_service(vip1, 80, protocol::tcp);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->rs_count, 3u);
    EXPECT_EQ(s->eligible_count, 2u);
    EXPECT_EQ(s->wrr_gcd, 2u);
    EXPECT_EQ(s->wrr_max, 3u); // 4 - (2 - 1), ip_vs_wrr_init_svc()
    EXPECT_EQ(t->find_service(vip1, 80, protocol::udp), nullptr);
    EXPECT_EQ(t->find_service(vip1, 81, protocol::tcp), nullptr);
    EXPECT_EQ(t->find_service(vip2, 80, protocol::tcp), nullptr);

    const auto rs = t->real_servers(*s);
    EXPECT_EQ(rs[0].port, 8080);
    EXPECT_EQ(rs[1].port, 80); // port 0: the service's
    EXPECT_FALSE(rs[2].eligible());

    const real_server* r = t->find_real_server({172, 18, 0, 3}, 80, protocol::tcp);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(&t->service_of(*r), s);
    EXPECT_EQ(t->real_server_by_slot(r->slot), r);
    EXPECT_EQ(t->find_real_server({172, 18, 0, 3}, 8080, protocol::tcp), nullptr);
    EXPECT_NE(t->find_real_server({172, 18, 0, 3}, 443, protocol::tcp), nullptr);
}

struct invalid_case {
    const char* name;
    service_config cfg;
    const char* message_part;
};

// These rules are config::lb_rules::check_lb()'s, tested with their messages
// in tests/unit/config (lb_yaml_test.cpp: port_zero, rs_weight_range,
// rs_duplicate, granularity_not_contiguous, persistence_over_31_days,
// duplicate_service; lb_keepalived_test.cpp: rs_duplicate by the default
// port). build() trusts validated input: a debug build asserts.
class service_table_invalid : public ::testing::TestWithParam<invalid_case> {};

TEST_P(service_table_invalid, is_refused_by_a_debug_assertion) {
    const auto& c = GetParam();
    EXPECT_DEBUG_DEATH((void)service_table::build(std::span(&c.cfg, 1)), "satisfies_config_rules")
        << c.message_part;
}

service_config with(auto fn) {
    auto c = web();
    fn(c);
    return c;
}

INSTANTIATE_TEST_SUITE_P(
    cases, service_table_invalid,
    ::testing::Values(
        invalid_case{"port_0", with([](auto& c) { c.port = 0; }), "port 0"},
        invalid_case{"weight", with([](auto& c) { c.real_servers[0].weight = 0x80000000u; }),
                     "weight 2147483648"},
        invalid_case{"duplicate_rs",
                     with([](auto& c) { c.real_servers.push_back(c.real_servers[1]); }),
                     "listed twice"},
        invalid_case{"duplicate_rs_by_default_port", with([](auto& c) {
                         c.real_servers.push_back({.address = {172, 18, 0, 3}, .port = 80});
                     }),
                     "listed twice"},
        invalid_case{"mask", with([](auto& c) {
                         c.persistence_netmask = {255, 0, 255, 0};
                     }),
                     "contiguous"},
        invalid_case{"persistence", with([](auto& c) { c.persistence_timeout = 32 * 24h; }),
                     "31 days"}),
    [](const auto& tp) { return std::string(tp.param.name); });

TEST(service_table, refuses_duplicates_in_debug_builds) {
    const std::vector<service_config> dup = {web(), web()};
    EXPECT_DEBUG_DEATH((void)service_table::build(dup), "satisfies_config_rules");
}

// The table's capacity stays a runtime error: after a reload, services and
// real servers that were removed stay until they have drained.
TEST(service_table, refuses_more_than_its_limits) {
    const std::vector<service_config> two = {web(), web(vip2)};
    auto services = service_table::build(two, {.max_services = 1});
    ASSERT_FALSE(services.ok());
    EXPECT_EQ(services.message(), "2 virtual servers, at most 1");
    auto real_servers = service_table::build(two, {.max_real_servers = 5});
    ASSERT_FALSE(real_servers.ok());
    EXPECT_EQ(real_servers.message(), "6 real servers in all, at most 5");
    EXPECT_TRUE(service_table::build(two, {.max_services = 2, .max_real_servers = 6}).ok());
}

TEST(service_table, slots_are_stable_across_rebuilds) {
    std::vector<service_config> cfg = {web(), web(vip2)};
    auto t1 = service_table::build(cfg);
    ASSERT_TRUE(t1.ok());
    const auto old_svc2 = t1->find_service(vip2, 80, protocol::tcp)->slot;
    const auto old_rs = t1->real_servers(*t1->find_service(vip2, 80, protocol::tcp));
    const auto kept = old_rs[0].slot;
    const auto removed = old_rs[1].slot;

    // Drop the first service and vip2's second server, add a new server.
    cfg.erase(cfg.begin());
    cfg[0].real_servers.erase(cfg[0].real_servers.begin() + 1);
    cfg[0].real_servers.push_back({.address = {172, 18, 0, 9}});
    auto t2 = service_table::build(cfg, {}, &*t1);
    ASSERT_TRUE(t2.ok());
    const service* s = t2->find_service(vip2, 80, protocol::tcp);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->slot, old_svc2);
    const auto rs = t2->real_servers(*s);
    ASSERT_EQ(rs.size(), 3u);
    EXPECT_EQ(rs[0].slot, kept);
    // The newcomer does not inherit a slot the previous snapshot used.
    for (const auto& r : t1->all_real_servers()) {
        EXPECT_NE(rs[2].slot, r.slot);
    }
    EXPECT_NE(rs[2].slot, removed);
    EXPECT_EQ(t2->real_server_by_slot(removed), nullptr);
}

TEST(service_table, owner_policy_shared_through_real_servers) {
    // A persistent /24 service and a plain one share 172.18.0.3:80; a third
    // service is on its own.
    auto a = web(vip1, 80);
    a.persistence_timeout = 300s;
    a.persistence_netmask = {255, 255, 255, 0};
    auto b = web(vip2, 80);
    b.real_servers = {{.address = {172, 18, 0, 3}}, {.address = {172, 18, 0, 7}}};
    auto c = web(vip2, 443);
    c.real_servers = {{.address = {172, 18, 0, 20}}};
    auto d = web(vip2, 8443);
    d.persistence_timeout = 60s;
    d.persistence_netmask = {255, 255, 0, 0};
    d.real_servers = {{.address = {172, 18, 0, 7}, .port = 80}};
    const std::vector<service_config> cfg = {a, b, c, d};
    auto t = service_table::build(cfg);
    ASSERT_TRUE(t.ok()) << t.message();
    const auto& sa = *t->find_service(vip1, 80, protocol::tcp);
    const auto& sb = *t->find_service(vip2, 80, protocol::tcp);
    const auto& sc = *t->find_service(vip2, 443, protocol::tcp);
    const auto& sd = *t->find_service(vip2, 8443, protocol::tcp);
    // a, b, d are one group (a-b through .3, b-d through .7): client address
    // only, masked with the shortest prefix (/16).
    for (const service* s : {&sa, &sb, &sd}) {
        EXPECT_FALSE(s->owner_by_port);
        EXPECT_EQ(s->owner_mask, 0xffff0000u);
    }
    EXPECT_TRUE(sc.owner_by_port);
    EXPECT_EQ(sc.owner_mask, 0xffffffffu);
}

TEST(service_table, empty_table_finds_nothing) {
    service_table t;
    EXPECT_EQ(t.find_service(vip1, 80, protocol::tcp), nullptr);
    EXPECT_EQ(t.find_real_server(vip1, 80, protocol::tcp), nullptr);
    EXPECT_EQ(t.real_server_by_slot(0), nullptr);
}

} // namespace
} // namespace vipgate::lb
