// Per-worker flow table: both directions from one entry, expiry by TCP state
// with a fake clock, full-table behaviour, budgeted sweeps, memory per flow.
#include <gtest/gtest.h>

#include <vector>

#include "lb/flow_table.hpp"
#include "test_util.hpp"

namespace vipgate::lb {
namespace {

using test::at;
using namespace std::chrono_literals;
using net::ipv4_addr;

const ipv4_addr vip{192, 168, 44, 150};
const ipv4_addr rs1{172, 18, 0, 2};

flow_spec spec(std::uint32_t n, flow_state st = flow_state::established,
               protocol p = protocol::tcp) {
    // Distinct client endpoints: address varies in the low 16 bits, port too.
    return {.client = ipv4_addr{0x0a000000u | (n & 0xffffu)},
            .client_port = static_cast<std::uint16_t>(10000 + (n >> 16)),
            .vip = vip,
            .vport = 80,
            .rs = rs1,
            .rs_port = 8080,
            .proto = p,
            .state = st,
            .service_slot = 3,
            .rs_slot = 7};
}

flow_key fwd_key(const flow_spec& s) {
    return {s.client, s.vip, s.client_port, s.vport, s.proto};
}
flow_key rev_key(const flow_spec& s) {
    return {s.rs, s.client, s.rs_port, s.client_port, s.proto};
}

flow_table make(std::uint32_t capacity, timeouts t = {}) {
    auto r = flow_table::create({.capacity = capacity, .seed = 42, .state_timeouts = t});
    EXPECT_TRUE(r.ok()) << r.message();
    return std::move(r).value();
}

TEST(flow_table, bytes_per_flow_is_44) {
    EXPECT_EQ(sizeof(flow), 36u);
    EXPECT_EQ(flow_table::bytes_per_flow(), 44u);
    auto t = make(1u << 16);
    EXPECT_EQ(t.bucket_count(), 1u << 17);
    EXPECT_EQ(t.memory_bytes(), std::size_t{1u << 16} * 44u);
    // Not a power of two: fewer buckets, never more than 44 bytes per flow.
    auto u = make(100000);
    EXPECT_EQ(u.bucket_count(), 131072u);
    EXPECT_LE(u.memory_bytes(), std::size_t{100000} * flow_table::bytes_per_flow());
}

TEST(flow_table, create_rejects_bad_capacity) {
    EXPECT_FALSE(flow_table::create({.capacity = 0}).ok());
    timeouts t;
    t.udp = 0ms;
    EXPECT_FALSE(flow_table::create({.capacity = 8, .state_timeouts = t}).ok());
}

TEST(flow_table, both_directions_find_the_same_entry) {
    auto t = make(1024);
    std::vector<flow*> flows;
    for (std::uint32_t i = 0; i < 500; ++i) {
        auto r = t.insert(spec(i * 977), at(0ms));
        ASSERT_EQ(r.status, insert_status::ok);
        flows.push_back(r.f);
    }
    EXPECT_EQ(t.size(), 500u);
    for (std::uint32_t i = 0; i < 500; ++i) {
        const auto s = spec(i * 977);
        EXPECT_EQ(t.find_forward(fwd_key(s), at(1s)), flows[i]);
        EXPECT_EQ(t.find_reverse(rev_key(s), at(1s)), flows[i]);
        EXPECT_EQ(flows[i]->client, s.client);
        EXPECT_EQ(flows[i]->rs_port, 8080);
    }
}

TEST(flow_table, near_misses_do_not_match) {
    auto t = make(64);
    const auto s = spec(1);
    ASSERT_EQ(t.insert(s, at(0ms)).status, insert_status::ok);
    struct miss_case {
        const char* what;
        flow_key key;
        bool reverse;
    };
    auto k = fwd_key(s);
    auto r = rev_key(s);
    const miss_case cases[] = {
        {"client port",
         {k.src, k.dst, static_cast<std::uint16_t>(k.src_port + 1), k.dst_port, k.proto},
         false},
        {"vport", {k.src, k.dst, k.src_port, 81, k.proto}, false},
        {"protocol", {k.src, k.dst, k.src_port, k.dst_port, protocol::udp}, false},
        {"vip", {k.src, ipv4_addr{192, 168, 44, 151}, k.src_port, k.dst_port, k.proto}, false},
        {"forward key as reverse", k, true},
        {"reverse key as forward", r, false},
        {"rs port", {r.src, r.dst, 8081, r.dst_port, r.proto}, true},
        {"client as reverse dst",
         {r.src, ipv4_addr{10, 0, 0, 2}, r.src_port, r.dst_port, r.proto},
         true},
    };
    for (const auto& c : cases) {
        const flow* f = c.reverse ? t.find_reverse(c.key, at(1s)) : t.find_forward(c.key, at(1s));
        EXPECT_EQ(f, nullptr) << c.what;
    }
    EXPECT_NE(t.find_forward(k, at(1s)), nullptr);
}

TEST(flow_table, duplicate_and_reverse_conflicts) {
    auto t = make(64);
    const auto s = spec(5);
    auto first = t.insert(s, at(0ms));
    ASSERT_EQ(first.status, insert_status::ok);
    auto again = t.insert(s, at(1ms));
    EXPECT_EQ(again.status, insert_status::exists);
    EXPECT_EQ(again.f, first.f);
    // Same client endpoint to another VIP on the same real server endpoint:
    // the real server would see one connection.
    auto other = s;
    other.vip = ipv4_addr{192, 168, 44, 151};
    EXPECT_EQ(t.insert(other, at(1ms)).status, insert_status::reverse_in_use);
    EXPECT_EQ(t.size(), 1u);
}

// Fake clock: a flow lives exactly its state's timeout after its last packet.
struct expiry_case {
    const char* name;
    flow_state state;
    milliseconds timeout;
};

class flow_expiry : public ::testing::TestWithParam<expiry_case> {};

TEST_P(flow_expiry, lives_exactly_the_state_timeout) {
    const auto& c = GetParam();
    auto t = make(16);
    const protocol p = c.state == flow_state::udp ? protocol::udp : protocol::tcp;
    const auto s = spec(9, c.state, p);
    const auto t0 = at(5000ms);
    ASSERT_EQ(t.insert(s, t0).status, insert_status::ok);
    EXPECT_EQ(t.timeout_of(c.state), c.timeout);
    EXPECT_NE(t.find_forward(fwd_key(s), t0 + c.timeout - 1ms), nullptr);
    EXPECT_NE(t.find_reverse(rev_key(s), t0 + c.timeout - 1ms), nullptr);
    EXPECT_EQ(t.find_reverse(rev_key(s), t0 + c.timeout), nullptr);
    EXPECT_EQ(t.find_forward(fwd_key(s), t0 + c.timeout), nullptr);
    EXPECT_EQ(t.size(), 0u);
    EXPECT_EQ(t.stats().expired, 1u);
}

INSTANTIATE_TEST_SUITE_P(ipvs_defaults, flow_expiry,
                         ::testing::Values(expiry_case{"syn_recv", flow_state::syn_recv, 60s},
                                           expiry_case{"established", flow_state::established,
                                                       900s},
                                           expiry_case{"fin_wait", flow_state::fin_wait, 120s},
                                           expiry_case{"time_wait", flow_state::time_wait, 120s},
                                           expiry_case{"close", flow_state::close, 10s},
                                           expiry_case{"close_wait", flow_state::close_wait, 60s},
                                           expiry_case{"last_ack", flow_state::last_ack, 30s},
                                           expiry_case{"syn_sent", flow_state::syn_sent, 120s},
                                           expiry_case{"udp", flow_state::udp, 300s}),
                         [](const auto& tp) { return std::string(tp.param.name); });

TEST(flow_table, packets_restart_the_timer_with_the_new_state) {
    auto t = make(16);
    const auto s = spec(1, flow_state::syn_recv);
    ASSERT_EQ(t.insert(s, at(0ms)).status, insert_status::ok);
    flow* f = t.find_forward(fwd_key(s), at(59s));
    ASSERT_NE(f, nullptr);
    t.on_packet(*f, direction::forward, net::tcp_flag_ack, at(59s));
    EXPECT_EQ(f->state(), flow_state::established);
    EXPECT_EQ(t.remaining(*f, at(59s)), 900s);
    EXPECT_NE(t.find_forward(fwd_key(s), at(59s + 899s)), nullptr);
    EXPECT_EQ(t.find_forward(fwd_key(s), at(59s + 900s)), nullptr);
}

TEST(flow_table, rst_closes_established_flow) {
    auto t = make(16);
    const auto s = spec(1, flow_state::established);
    ASSERT_EQ(t.insert(s, at(0ms)).status, insert_status::ok);
    flow* f = t.find_reverse(rev_key(s), at(100s));
    ASSERT_NE(f, nullptr);
    t.on_packet(*f, direction::reply, net::tcp_flag_rst, at(100s));
    EXPECT_EQ(f->state(), flow_state::close);
    EXPECT_NE(t.find_forward(fwd_key(s), at(109s)), nullptr);
    EXPECT_EQ(t.find_forward(fwd_key(s), at(110s)), nullptr); // CLOSE: 10 s
}

TEST(flow_table, udp_flows_stay_udp) {
    auto t = make(16);
    const auto s = spec(1, flow_state::udp, protocol::udp);
    ASSERT_EQ(t.insert(s, at(0ms)).status, insert_status::ok);
    flow* f = t.find_forward(fwd_key(s), at(299s));
    ASSERT_NE(f, nullptr);
    t.on_packet(*f, direction::reply, 0, at(299s));
    EXPECT_EQ(f->state(), flow_state::udp);
    EXPECT_NE(t.find_reverse(rev_key(s), at(598s)), nullptr);
}

TEST(flow_table, full_table_rejects_new_flows_and_keeps_existing_ones) {
    constexpr std::uint32_t cap = 100;
    auto t = make(cap);
    for (std::uint32_t i = 0; i < cap; ++i) {
        ASSERT_EQ(t.insert(spec(i), at(0ms)).status, insert_status::ok) << i;
    }
    EXPECT_EQ(t.size(), cap);
    const auto r = t.insert(spec(cap), at(1s));
    EXPECT_EQ(r.status, insert_status::full);
    EXPECT_EQ(r.f, nullptr);
    EXPECT_EQ(t.stats().insert_full, 1u);
    for (std::uint32_t i = 0; i < cap; ++i) {
        EXPECT_NE(t.find_forward(fwd_key(spec(i)), at(1s)), nullptr) << i;
        EXPECT_NE(t.find_reverse(rev_key(spec(i)), at(1s)), nullptr) << i;
    }
    // Once one goes, there is room again.
    t.erase(*t.find_forward(fwd_key(spec(17)), at(1s)));
    EXPECT_EQ(t.insert(spec(cap), at(1s)).status, insert_status::ok);
    EXPECT_EQ(t.find_forward(fwd_key(spec(17)), at(1s)), nullptr);
}

TEST(flow_table, full_table_reclaims_an_expired_entry_nearby) {
    auto t = make(8);
    for (std::uint32_t i = 0; i < 8; ++i) {
        ASSERT_EQ(t.insert(spec(i, flow_state::close), at(0ms)).status, insert_status::ok);
    }
    // All expired (CLOSE: 10 s) but not swept: insert reclaims.
    EXPECT_EQ(t.insert(spec(100), at(11s)).status, insert_status::ok);
}

TEST(flow_table, expire_examines_at_most_budget_entries) {
    constexpr std::uint32_t cap = 1000;
    auto t = make(cap);
    for (std::uint32_t i = 0; i < cap; ++i) {
        ASSERT_EQ(t.insert(spec(i, flow_state::close), at(0ms)).status, insert_status::ok);
    }
    // Nothing expired yet: a sweep examines but removes nothing.
    auto r = t.expire(at(9s), 64);
    EXPECT_EQ(r.examined, 64u);
    EXPECT_EQ(r.removed, 0u);
    std::uint32_t removed = 0;
    std::uint32_t calls = 0;
    while (t.size() > 0) {
        r = t.expire(at(10s), 64);
        EXPECT_LE(r.examined, 64u);
        EXPECT_LE(r.removed, 64u);
        removed += r.removed;
        ++calls;
        ASSERT_LE(calls, cap / 64 + 2);
    }
    EXPECT_EQ(removed, cap);
    // One full pass: ceil(1000 / 64) = 16 calls (the first 64 were examined early).
    EXPECT_GE(calls, cap / 64);
    // A budget above the capacity examines each entry once.
    EXPECT_EQ(t.expire(at(10s), 5000).examined, cap);
}

TEST(flow_table, counts_follow_state_and_removal) {
    auto t = make(16);
    std::vector<rs_counts> counts(16);
    t.attach_counts(counts);
    const auto a = spec(1, flow_state::syn_recv);
    const auto b = spec(2, flow_state::established);
    const auto u = spec(3, flow_state::udp, protocol::udp);
    ASSERT_EQ(t.insert(a, at(0ms)).status, insert_status::ok);
    ASSERT_EQ(t.insert(b, at(0ms)).status, insert_status::ok);
    ASSERT_EQ(t.insert(u, at(0ms)).status, insert_status::ok);
    EXPECT_EQ(counts[7].active, 2u);   // established TCP + UDP
    EXPECT_EQ(counts[7].inactive, 1u); // SYN_RECV
    flow* fa = t.find_forward(fwd_key(a), at(1ms));
    t.on_packet(*fa, direction::forward, net::tcp_flag_ack, at(1ms));
    EXPECT_EQ(counts[7].active, 3u);
    EXPECT_EQ(counts[7].inactive, 0u);
    t.on_packet(*fa, direction::forward, net::tcp_flag_fin, at(2ms));
    EXPECT_EQ(counts[7].active, 2u);
    EXPECT_EQ(counts[7].inactive, 1u);
    t.erase(*fa);
    EXPECT_EQ(counts[7].inactive, 0u);
    t.expire(at(1000s), 16);
    EXPECT_EQ(counts[7].active, 0u);
    EXPECT_EQ(t.size(), 0u);
}

TEST(flow_table, release_hook_sees_every_removed_flow) {
    auto t = make(16);
    std::vector<std::uint32_t> released;
    t.set_release_hook(
        [](void* ctx, const flow& f) noexcept {
            static_cast<std::vector<std::uint32_t>*>(ctx)->push_back(f.persist);
        },
        &released);
    auto s1 = spec(1, flow_state::close);
    s1.persist = 11;
    auto s2 = spec(2, flow_state::established);
    s2.persist = 22;
    auto s3 = spec(3, flow_state::established);
    s3.persist = 33;
    ASSERT_EQ(t.insert(s1, at(0ms)).status, insert_status::ok);
    ASSERT_EQ(t.insert(s2, at(0ms)).status, insert_status::ok);
    ASSERT_EQ(t.insert(s3, at(0ms)).status, insert_status::ok);
    t.expire(at(10s), 16);                                     // s1 by sweep
    t.erase(*t.find_forward(fwd_key(s2), at(10s)));            // s2 by erase
    EXPECT_EQ(t.find_reverse(rev_key(s3), at(900s)), nullptr); // s3 by lookup
    EXPECT_EQ(released, (std::vector<std::uint32_t>{11, 22, 33}));
}

TEST(flow_table, deadlines_survive_tick_wraparound) {
    auto t = make(16);
    // 2^32 ms after the epoch the 32-bit tick wraps.
    const auto t0 = at(milliseconds{(1LL << 32) - 5000});
    const auto s = spec(1, flow_state::close);
    ASSERT_EQ(t.insert(s, t0).status, insert_status::ok);
    EXPECT_NE(t.find_forward(fwd_key(s), t0 + 9999ms), nullptr);
    EXPECT_EQ(t.find_forward(fwd_key(s), t0 + 10s), nullptr);
}

// Both keys hold the client endpoint, so one client endpoint's flows to
// several VIPs share a chain: each stays findable both ways while the
// others come and go, by erase, by the sweep and by expiry on lookup.
TEST(flow_table, flows_of_one_client_endpoint_share_a_chain) {
    auto t = make(64);
    std::vector<flow_spec> specs;
    for (std::uint32_t v = 0; v < 12; ++v) {
        flow_spec s = spec(9, v % 2 == 0 ? flow_state::close : flow_state::established);
        s.vip = ipv4_addr{192, 168, 44, static_cast<std::uint8_t>(100 + v)};
        s.rs_port = static_cast<std::uint16_t>(8000 + v);
        specs.push_back(s);
        ASSERT_EQ(t.insert(s, at(0ms)).status, insert_status::ok) << v;
    }
    for (const auto& s : specs) {
        ASSERT_NE(t.find_forward(fwd_key(s), at(1s)), nullptr);
        ASSERT_EQ(t.find_forward(fwd_key(s), at(1s)), t.find_reverse(rev_key(s), at(1s)));
    }
    // Erase one in the middle of the chain.
    t.erase(*t.find_forward(fwd_key(specs[5]), at(1s)));
    EXPECT_EQ(t.find_forward(fwd_key(specs[5]), at(1s)), nullptr);
    EXPECT_EQ(t.find_reverse(rev_key(specs[5]), at(1s)), nullptr);
    // The CLOSE ones (even v, 10 s) time out; the sweep takes all six.
    const auto r = t.expire(at(11s), 64);
    EXPECT_EQ(r.removed, 6u);
    EXPECT_EQ(t.size(), 5u);
    for (std::uint32_t v = 0; v < 12; ++v) {
        const bool live = v % 2 == 1 && v != 5;
        EXPECT_EQ(t.find_forward(fwd_key(specs[v]), at(11s)) != nullptr, live) << v;
        EXPECT_EQ(t.find_reverse(rev_key(specs[v]), at(11s)) != nullptr, live) << v;
    }
}

// A new flow whose forward key is on an expired entry takes that entry
// over: same index, the old flow released (counts, hook), nothing leaked.
TEST(flow_table, new_flow_takes_over_its_expired_entry_in_place) {
    auto t = make(16);
    std::vector<rs_counts> counts(8);
    t.attach_counts(counts);
    int released = 0;
    t.set_release_hook([](void* ctx, const flow&) noexcept { ++*static_cast<int*>(ctx); },
                       &released);
    auto s = spec(3, flow_state::syn_recv);
    auto first = t.insert(s, at(0ms));
    ASSERT_EQ(first.status, insert_status::ok);
    const std::uint32_t idx = t.index_of(*first.f);
    EXPECT_EQ(counts[7].inactive, 1u);
    // SYN_RECV: 60 s. Expired at 61 s; the probe still sees the entry.
    const auto p = t.probe_forward(fwd_key(s));
    EXPECT_EQ(p.index, idx);
    EXPECT_EQ(t.find_forward(p, at(61s)), nullptr);
    auto again = s;
    again.state = flow_state::established;
    again.rs_port = 9090; // rescheduled elsewhere: a new reverse key
    auto second = t.insert_after_miss(again, p, at(61s));
    ASSERT_EQ(second.status, insert_status::ok);
    EXPECT_EQ(t.index_of(*second.f), idx);
    EXPECT_EQ(t.size(), 1u);
    EXPECT_EQ(released, 1);
    EXPECT_EQ(counts[7].inactive, 0u);
    EXPECT_EQ(counts[7].active, 1u);
    EXPECT_EQ(t.stats().expired, 1u);
    EXPECT_EQ(t.stats().taken_over, 1u);
    EXPECT_EQ(t.find_reverse(rev_key(s), at(62s)), nullptr);
    EXPECT_EQ(t.find_reverse(rev_key(again), at(62s)), second.f);
    // insert() does the same.
    auto third = t.insert(s, at(61s + 900s));
    ASSERT_EQ(third.status, insert_status::ok);
    EXPECT_EQ(t.index_of(*third.f), idx);
    EXPECT_EQ(t.size(), 1u);
    EXPECT_EQ(released, 2);
}

TEST(flow_table, custom_allocator_is_used_for_everything) {
    struct tracker {
        std::size_t live = 0;
        std::size_t bytes = 0;
    } tr;
    allocator a{[](void* ctx, std::size_t size, std::size_t align) -> void* {
                    auto* t = static_cast<tracker*>(ctx);
                    ++t->live;
                    t->bytes += size;
                    return ::operator new(size, std::align_val_t{align});
                },
                [](void* ctx, void* p, std::size_t, std::size_t align) {
                    --static_cast<tracker*>(ctx)->live;
                    ::operator delete(p, std::align_val_t{align});
                },
                &tr};
    {
        auto r = flow_table::create({.capacity = 4096}, a);
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(tr.live, 2u); // entries + bucket heads
        EXPECT_EQ(tr.bytes, r->memory_bytes());
        EXPECT_EQ(tr.bytes, 4096u * flow_table::bytes_per_flow());
    }
    EXPECT_EQ(tr.live, 0u);
}

} // namespace
} // namespace vipgate::lb
