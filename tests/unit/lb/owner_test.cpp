// Flow ownership: both directions (and ICMP errors about either) of a flow
// map to the same worker.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "lb/hash.hpp"
#include "lb/owner.hpp"
#include "net/checksum.hpp"
#include "test_util.hpp"

namespace vipgate::lb {
namespace {

using net::ipv4_addr;
using namespace std::chrono_literals;

const ipv4_addr vip{192, 168, 44, 150};

service_table make_table() {
    std::vector<service_config> cfg;
    // Plain TCP service.
    cfg.push_back({.vip = vip,
                   .port = 80,
                   .scheduler = scheduler_kind::rr,
                   .real_servers = {{.address = {172, 18, 0, 2}, .port = 8080},
                                    {.address = {172, 18, 0, 3}, .port = 8080}}});
    // Persistent /24 TCP service.
    cfg.push_back({.vip = vip,
                   .port = 3306,
                   .persistence_timeout = 50s,
                   .persistence_netmask = {255, 255, 255, 0},
                   .real_servers = {{.address = {172, 18, 0, 4}}, {.address = {172, 18, 0, 5}}}});
    // Plain UDP service.
    cfg.push_back({.vip = vip,
                   .port = 53,
                   .proto = protocol::udp,
                   .real_servers = {{.address = {172, 18, 0, 6}}}});
    auto t = service_table::build(cfg);
    EXPECT_TRUE(t.ok()) << t.message();
    return std::move(t).value();
}

test::frame packet(protocol p, ipv4_addr src, std::uint16_t sport, ipv4_addr dst,
                   std::uint16_t dport) {
    return p == protocol::tcp ? test::tcp_frame(src, sport, dst, dport, net::tcp_flag_ack)
                              : test::udp_frame(src, sport, dst, dport);
}

test::frame icmp_about(const test::frame& quoted, ipv4_addr src, ipv4_addr dst) {
    std::vector<std::uint8_t> msg(8 + 28);
    msg[0] = 3;
    msg[1] = 4;
    std::copy_n(quoted.bytes.begin() + quoted.meta.l3_offset, 28, msg.begin() + 8);
    net::store_be16(msg.data() + 2, net::internet_checksum(msg));
    std::vector<std::uint8_t> buf(256);
    const auto n =
        net::build_ipv4_frame(buf, test::l2, {.src = src, .dst = dst}, net::ip_proto_icmp, msg);
    return test::finish(std::move(buf), n);
}

class owner_directions : public ::testing::TestWithParam<unsigned> {};

TEST_P(owner_directions, forward_reply_and_icmp_agree) {
    const unsigned n = GetParam();
    const auto table = make_table();
    std::vector<unsigned> hits(n, 0);
    for (std::uint32_t i = 0; i < 600; ++i) {
        const ipv4_addr client{static_cast<std::uint32_t>(fmix64(i) | 0x01000000u)};
        // Not an arithmetic sequence in i: the owner is the port's low bits
        // (port % 3 for 3 workers), which must not follow the service (i % 3).
        const auto cport = static_cast<std::uint16_t>(1024 + fmix64(i + 7) % 64000);
        const auto& svc = table.services()[i % 3];
        const auto& rs = table.real_servers(svc)[i % svc.rs_count];
        SCOPED_TRACE(std::to_string(i));

        const auto fwd = packet(svc.proto, client, cport, svc.vip, svc.port);
        const auto rep = packet(svc.proto, rs.address, rs.port, client, cport);
        const auto c_fwd = classify(table, fwd.bytes, fwd.meta);
        const auto c_rep = classify(table, rep.bytes, rep.meta);
        ASSERT_EQ(c_fwd.kind, packet_kind::forward);
        ASSERT_EQ(c_rep.kind, packet_kind::reply);
        EXPECT_EQ(c_fwd.client, client);
        EXPECT_EQ(c_rep.client, client);
        EXPECT_EQ(c_rep.client_port, cport);

        const auto o = owner_worker(svc, client, cport, svc.proto, n);
        ASSERT_LT(o, n);
        ++hits[o];
        EXPECT_EQ(owner_of(table, fwd.bytes, fwd.meta, n), o);
        EXPECT_EQ(owner_of(table, rep.bytes, rep.meta, n), o);

        // ICMP errors: about our reply (client side, to the VIP), about our
        // forwarded packet (real-server side, to the client).
        const auto translated_reply = packet(svc.proto, svc.vip, svc.port, client, cport);
        const auto translated_fwd = packet(svc.proto, client, cport, rs.address, rs.port);
        const auto e1 = icmp_about(translated_reply, ipv4_addr{198, 51, 100, 1}, svc.vip);
        const auto e2 = icmp_about(translated_fwd, rs.address, client);
        EXPECT_EQ(classify(table, e1.bytes, e1.meta).kind, packet_kind::icmp_error);
        EXPECT_EQ(owner_of(table, e1.bytes, e1.meta, n), o);
        EXPECT_EQ(owner_of(table, e2.bytes, e2.meta, n), o);
    }
    // Every worker owns something.
    for (unsigned w = 0; w < n; ++w) {
        EXPECT_GT(hits[w], 100u) << "worker " << w;
    }
}

INSTANTIATE_TEST_SUITE_P(workers, owner_directions, ::testing::Values(1u, 2u, 3u, 4u),
                         [](const auto& tp) { return std::to_string(tp.param); });

TEST(owner, persistent_service_ignores_client_port_and_masked_bits) {
    const auto table = make_table();
    const auto& persistent = *table.find_service(vip, 3306, protocol::tcp);
    const auto& plain = *table.find_service(vip, 80, protocol::tcp);
    for (unsigned n : {2u, 3u, 4u}) {
        std::set<unsigned> plain_owners;
        for (std::uint32_t c = 0; c < 50; ++c) {
            const ipv4_addr base{static_cast<std::uint32_t>(fmix64(c)) & 0xffffff00u};
            const auto o = owner_worker(persistent, base, 1, protocol::tcp, n);
            for (std::uint32_t host = 0; host < 256; host += 51) {
                for (int port : {1024, 2000, 65535}) {
                    EXPECT_EQ(owner_worker(persistent, ipv4_addr{base.value | host},
                                           static_cast<std::uint16_t>(port), protocol::tcp, n),
                              o);
                }
            }
            for (std::uint16_t port = 1024; port < 1064; ++port) {
                plain_owners.insert(owner_worker(plain, base, port, protocol::tcp, n));
            }
        }
        // Without persistence the client port spreads one client's flows.
        EXPECT_EQ(plain_owners.size(), n);
    }
}

// The function itself (owner.hpp): the client port's low bits, or the low
// bits of the masked address's network part; modulo for other counts.
TEST(owner, low_bits_of_the_port_or_the_network_part) {
    const auto table = make_table();
    const auto& plain = *table.find_service(vip, 80, protocol::tcp);
    const auto& persistent = *table.find_service(vip, 3306, protocol::tcp); // /24
    struct row {
        std::uint16_t port;
        ipv4_addr client;
        unsigned n, plain_owner, persistent_owner;
    };
    const row rows[] = {
        {1024, {10, 1, 2, 3}, 2, 0, 0},    {1025, {10, 1, 3, 3}, 2, 1, 1},
        {40007, {10, 1, 6, 200}, 4, 3, 2}, {40007, {10, 1, 6, 200}, 8, 7, 6},
        {40007, {10, 1, 6, 200}, 3, 2, 2}, {65535, {10, 1, 7, 0}, 3, 0, 0},
        {65535, {10, 1, 7, 0}, 1, 0, 0},
    };
    for (const auto& r : rows) {
        SCOPED_TRACE(r.client.to_string() + ":" + std::to_string(r.port) + " n " +
                     std::to_string(r.n));
        EXPECT_EQ(owner_worker(plain, r.client, r.port, protocol::tcp, r.n), r.plain_owner);
        EXPECT_EQ(owner_worker(persistent, r.client, r.port, protocol::tcp, r.n),
                  r.persistent_owner);
        // Neither depends on the protocol.
        EXPECT_EQ(owner_worker(plain, r.client, r.port, protocol::udp, r.n), r.plain_owner);
    }
}

TEST(owner, not_load_balancer_traffic) {
    const auto table = make_table();
    const auto other = packet(protocol::tcp, {10, 0, 0, 1}, 1000, {10, 0, 0, 2}, 80);
    EXPECT_EQ(classify(table, other.bytes, other.meta).kind, packet_kind::none);
    EXPECT_EQ(owner_of(table, other.bytes, other.meta, 3), std::nullopt);
    // Right VIP, wrong port or protocol.
    const auto wrong_port = packet(protocol::tcp, {10, 0, 0, 1}, 1000, vip, 81);
    EXPECT_EQ(owner_of(table, wrong_port.bytes, wrong_port.meta, 3), std::nullopt);
    const auto wrong_proto = packet(protocol::udp, {10, 0, 0, 1}, 1000, vip, 80);
    EXPECT_EQ(owner_of(table, wrong_proto.bytes, wrong_proto.meta, 3), std::nullopt);
}

} // namespace
} // namespace vipgate::lb
