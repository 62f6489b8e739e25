// lib/sync codec: round trips of every message and record type, the wire
// layout, the MTU budget, and a table of malformed messages each refused
// with its reason.

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <vector>

#include "net/byte_order.hpp"
#include "sync/codec.hpp"

namespace {

using namespace vipgate;
using namespace vipgate::sync;
using bytes = std::vector<std::uint8_t>;

const flow_record flow1{.type = record_type::flow_add,
                        .client = {192, 0, 2, 10},
                        .vip = {10, 99, 0, 100},
                        .rs = {172, 16, 0, 11},
                        .client_port = 40000,
                        .vport = 80,
                        .rs_port = 8080,
                        .proto = lb::protocol::tcp,
                        .state = lb::flow_state::established,
                        .timeout_ms = 900000};
const persist_record persist1{.client = {192, 0, 2, 0},
                              .vip = {10, 99, 0, 200},
                              .rs = {172, 16, 0, 12},
                              .vport = 53,
                              .rs_port = 53,
                              .proto = lb::protocol::udp,
                              .timeout_ms = 360000};

header data_header() {
    return header{.type = msg_type::data,
                  .flags = flag_ack,
                  .node = 7,
                  .sync_id = 51,
                  .epoch = 1733300000,
                  .seq = 1000,
                  .oldest = 990,
                  .ack_node = 8,
                  .ack_epoch = 1733300001,
                  .ack_cum = 555,
                  .sack = 0x8000000000000005ull};
}

bytes encode(const header& h, const std::vector<record>& recs,
             std::span<const std::uint8_t> key = {}, std::size_t budget = 1472) {
    bytes b(budget);
    encoder e(b, budget, key);
    for (const auto& r : recs) {
        EXPECT_TRUE(e.add(r));
    }
    b.resize(e.finish(h));
    return b;
}

std::vector<record> read_all(const decoded& d) {
    std::vector<record> v;
    record_reader rd(d);
    record r;
    while (rd.next(r)) {
        v.push_back(r);
    }
    return v;
}

TEST(SyncCodec, RoundTripEveryRecordType) {
    std::vector<record> recs;
    for (auto t : {record_type::flow_add, record_type::flow_state, record_type::flow_refresh,
                   record_type::flow_delete}) {
        flow_record f = flow1;
        f.type = t;
        f.client_port = static_cast<std::uint16_t>(40000 + static_cast<int>(t));
        recs.push_back(f);
    }
    flow_record u = flow1;
    u.proto = lb::protocol::udp;
    u.state = lb::flow_state::udp;
    recs.push_back(u);
    recs.push_back(persist1);
    recs.push_back(bulk_request_record{.target = 8, .bulk_id = 3});
    recs.push_back(bulk_end_record{.target = 8, .bulk_id = 3, .records = 123456});
    header h = data_header();
    h.flags |= flag_bulk;
    const bytes b = encode(h, recs);
    EXPECT_EQ(b.size(), header_size + 5 * flow_record_size + persist_record_size +
                            bulk_request_record_size + bulk_end_record_size);
    decoded d;
    ASSERT_EQ(decode(b, {}, d), reason::none);
    header want = h;
    want.count = static_cast<std::uint16_t>(recs.size());
    EXPECT_EQ(d.hdr, want);
    EXPECT_EQ(read_all(d), recs);
    for (const auto& r : recs) {
        EXPECT_EQ(encoded_size(r), r.index() == 0   ? 28u
                                   : r.index() == 1 ? 28u
                                   : r.index() == 2 ? 12u
                                                    : 16u);
    }
    EXPECT_EQ(type_of(recs[5]), record_type::persist);
}

TEST(SyncCodec, AckMessageRoundTrip) {
    header h{.type = msg_type::ack,
             .flags = flag_ack,
             .node = 9,
             .sync_id = 1,
             .epoch = 2,
             .oldest = 77,
             .ack_node = 4,
             .ack_epoch = 5,
             .ack_cum = 0xffffffff,
             .sack = 1};
    const bytes b = encode(h, {});
    ASSERT_EQ(b.size(), header_size);
    decoded d;
    ASSERT_EQ(decode(b, {}, d), reason::none);
    EXPECT_EQ(d.hdr, h);
    EXPECT_TRUE(read_all(d).empty());
    // A keepalive: no ack flag, ack fields zero.
    header k{.type = msg_type::ack, .node = 9, .sync_id = 1, .epoch = 2, .oldest = 1};
    ASSERT_EQ(decode(encode(k, {}), {}, d), reason::none);
    EXPECT_EQ(d.hdr, k);
}

// The layout docs/ha.md documents, byte by byte.
TEST(SyncCodec, WireLayout) {
    const bytes b = encode(data_header(), {flow1});
    const std::uint8_t* p = b.data();
    EXPECT_EQ(0, std::memcmp(p, "VGSY", 4));
    EXPECT_EQ(p[4], 1);
    EXPECT_EQ(p[5], 1);
    EXPECT_EQ(net::load_be16(p + 6), flag_ack);
    EXPECT_EQ(net::load_be16(p + 8), header_size + flow_record_size);
    EXPECT_EQ(net::load_be16(p + 10), 1);
    EXPECT_EQ(net::load_be32(p + 12), 7u);
    EXPECT_EQ(net::load_be32(p + 16), 51u);
    EXPECT_EQ(net::load_be32(p + 20), 1733300000u);
    EXPECT_EQ(net::load_be32(p + 24), 1000u);
    EXPECT_EQ(net::load_be32(p + 28), 990u);
    EXPECT_EQ(net::load_be32(p + 32), 8u);
    EXPECT_EQ(net::load_be32(p + 36), 1733300001u);
    EXPECT_EQ(net::load_be32(p + 40), 555u);
    EXPECT_EQ(net::load_be32(p + 44), 0x80000000u);
    EXPECT_EQ(net::load_be32(p + 48), 5u);
    const std::uint8_t* r = p + header_size;
    const bytes want = {1, 1,  0,    28,   192, 0,  2,    10,   10, 99, 0,    100,  172,  16,
                        0, 11, 0x9c, 0x40, 0,   80, 0x1f, 0x90, 6,  1,  0x00, 0x0d, 0xbb, 0xa0};
    EXPECT_EQ(bytes(r, r + flow_record_size), want);
}

TEST(SyncCodec, EncoderStopsAtTheBudget) {
    // 1500-byte IP MTU: 1472 bytes of UDP payload, 52 of header: room for 50 flows.
    const std::size_t budget = payload_budget(1500);
    EXPECT_EQ(budget, 1472u);
    bytes b(2000);
    encoder e(b, budget);
    int n = 0;
    while (e.add(flow1)) {
        ++n;
    }
    EXPECT_EQ(n, static_cast<int>((budget - header_size) / flow_record_size));
    EXPECT_FALSE(e.fits(flow1));
    const std::size_t len = e.finish(data_header());
    EXPECT_LE(len, budget);
    decoded d;
    EXPECT_EQ(decode(std::span(b).first(len), {}, d), reason::none);
    EXPECT_EQ(d.hdr.count, n);

    // The HMAC trailer comes out of the same budget.
    const bytes key = {'k', 'e', 'y'};
    encoder k(b, budget, key);
    int m = 0;
    while (k.add(flow1)) {
        ++m;
    }
    EXPECT_EQ(m, static_cast<int>((budget - header_size - hmac_size) / flow_record_size));
    EXPECT_LE(k.finish(data_header()), budget);
    // A buffer smaller than the header: nothing.
    bytes tiny(10);
    encoder t(tiny, 1500);
    EXPECT_FALSE(t.add(flow1));
    EXPECT_EQ(t.finish(data_header()), 0u);
}

TEST(SyncCodec, HmacSha256) {
    // RFC 4231 test case 2.
    const std::string key = "Jefe";
    const std::string data = "what do ya want for nothing?";
    const auto mac =
        hmac_sha256(std::span(reinterpret_cast<const std::uint8_t*>(key.data()), key.size()),
                    std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
    const bytes want = {0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24,
                        0x26, 0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27,
                        0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43};
    EXPECT_EQ(bytes(mac.begin(), mac.end()), want);

    const bytes k1 = {1, 2, 3, 4};
    const bytes k2 = {1, 2, 3, 5};
    const bytes b = encode(data_header(), {flow1, persist1}, k1);
    EXPECT_EQ(b.size(), header_size + 2 * 28 + hmac_size);
    decoded d;
    EXPECT_EQ(decode(b, {.key = k1}, d), reason::none);
    EXPECT_EQ(d.hdr.flags & flag_hmac, flag_hmac);
    EXPECT_EQ(read_all(d).size(), 2u);
    EXPECT_EQ(decode(b, {.key = k2}, d), reason::bad_hmac);
    EXPECT_EQ(decode(b, {}, d), reason::unexpected_hmac);
    EXPECT_EQ(decode(encode(data_header(), {flow1}), {.key = k1}, d), reason::missing_hmac);
    // Any flipped bit fails the check.
    for (std::size_t i = 0; i < b.size(); ++i) {
        bytes c = b;
        c[i] ^= 0x10;
        EXPECT_NE(decode(c, {.key = k1}, d), reason::none) << "byte " << i;
    }
}

// --- malformed input ----------------------------------------------------------

bytes valid() {
    return encode(data_header(), {flow1, persist1, bulk_end_record{8, 1, 2}});
}

void set16(bytes& b, std::size_t off, std::uint16_t v) {
    net::store_be16(b.data() + off, v);
}
void set32(bytes& b, std::size_t off, std::uint32_t v) {
    net::store_be32(b.data() + off, v);
}

struct malformed_case {
    const char* name;
    std::function<void(bytes&)> mutate;
    reason want;
};

constexpr std::size_t r0 = header_size;      // flow record
constexpr std::size_t r1 = header_size + 28; // persist record
constexpr std::size_t r2 = header_size + 56; // bulk_end record

TEST(SyncCodec, MalformedMessagesAreRefusedWithTheirReason) {
    const std::vector<malformed_case> cases = {
        {"bad magic (IPVS v1 starts with 0)", [](bytes& b) { b[0] = 0; }, reason::bad_magic},
        {"version 0", [](bytes& b) { b[4] = 0; }, reason::bad_version},
        {"version 2", [](bytes& b) { b[4] = 2; }, reason::bad_version},
        {"type 0", [](bytes& b) { b[5] = 0; }, reason::bad_type},
        {"type 3", [](bytes& b) { b[5] = 3; }, reason::bad_type},
        {"reserved flag", [](bytes& b) { set16(b, 6, 0x0102); }, reason::bad_flags},
        {"length below header", [](bytes& b) { set16(b, 8, 51); }, reason::bad_length},
        {"length past the datagram",
         [](bytes& b) { set16(b, 8, static_cast<std::uint16_t>(b.size() + 1)); },
         reason::bad_length},
        {"length short of the datagram",
         [](bytes& b) { set16(b, 8, static_cast<std::uint16_t>(b.size() - 1)); },
         reason::bad_length},
        {"trailing garbage", [](bytes& b) { b.push_back(0); }, reason::bad_length},
        {"hmac flag without trailer", [](bytes& b) { b[7] |= 1; }, reason::bad_length},
        {"node 0", [](bytes& b) { set32(b, 12, 0); }, reason::bad_header_field},
        {"epoch 0", [](bytes& b) { set32(b, 20, 0); }, reason::bad_header_field},
        {"ack node 0 with ack flag", [](bytes& b) { set32(b, 32, 0); }, reason::bad_header_field},
        {"ack fields without ack flag", [](bytes& b) { b[7] &= static_cast<std::uint8_t>(~2); },
         reason::bad_header_field},
        {"oldest after seq", [](bytes& b) { set32(b, 28, 1001); }, reason::bad_sequence},
        {"count 0 on data",
         [](bytes& b) {
             set16(b, 10, 0);
             set16(b, 8, header_size);
             b.resize(header_size);
         },
         reason::empty_data},
        {"ack with records", [](bytes& b) { b[5] = 2; }, reason::unexpected_records},
        {"count too high", [](bytes& b) { set16(b, 10, 4); }, reason::count_mismatch},
        {"count too low", [](bytes& b) { set16(b, 10, 2); }, reason::count_mismatch},
        {"record type 0", [](bytes& b) { b[r0] = 0; }, reason::unknown_record_type},
        {"record type 8", [](bytes& b) { b[r1] = 8; }, reason::unknown_record_type},
        {"record type 255", [](bytes& b) { b[r2] = 255; }, reason::unknown_record_type},
        {"flow with IPv6 family", [](bytes& b) { b[r0 + 1] = 2; }, reason::unsupported_family},
        {"flow without family", [](bytes& b) { b[r0 + 1] = 0; }, reason::unsupported_family},
        {"bulk_end with a family", [](bytes& b) { b[r2 + 1] = 1; }, reason::unsupported_family},
        {"flow record length 27", [](bytes& b) { set16(b, r0 + 2, 27); },
         reason::bad_record_length},
        {"flow record length 0", [](bytes& b) { set16(b, r0 + 2, 0); }, reason::bad_record_length},
        {"persist record length 29", [](bytes& b) { set16(b, r1 + 2, 29); },
         reason::bad_record_length},
        {"bulk_end length 12", [](bytes& b) { set16(b, r2 + 2, 12); }, reason::bad_record_length},
        {"flow proto ICMP", [](bytes& b) { b[r0 + 4 + 18] = 1; }, reason::bad_record_field},
        {"tcp flow in state udp", [](bytes& b) { b[r0 + 4 + 19] = 9; }, reason::bad_record_field},
        {"tcp flow state 10", [](bytes& b) { b[r0 + 4 + 19] = 10; }, reason::bad_record_field},
        {"udp flow in a tcp state", [](bytes& b) { b[r0 + 4 + 18] = 17; },
         reason::bad_record_field},
        {"flow timeout 2^31", [](bytes& b) { set32(b, r0 + 4 + 20, 0x80000000u); },
         reason::bad_record_field},
        {"persist proto 0", [](bytes& b) { b[r1 + 4 + 16] = 0; }, reason::bad_record_field},
        {"persist reserved byte", [](bytes& b) { b[r1 + 4 + 17] = 1; }, reason::bad_record_field},
        {"persist reserved word", [](bytes& b) { set16(b, r1 + 4 + 18, 1); },
         reason::bad_record_field},
        {"persist timeout 2^32-1", [](bytes& b) { set32(b, r1 + 4 + 20, 0xffffffffu); },
         reason::bad_record_field},
        {"last record cut, length fixed up",
         [](bytes& b) {
             // pop_back, not resize(size() - 1): GCC 12 with ASan warns that
             // the resize may grow by SIZE_MAX (-Wstringop-overflow).
             b.pop_back();
             set16(b, 8, static_cast<std::uint16_t>(b.size()));
         },
         reason::truncated_record},
        {"record header cut, length fixed up",
         [](bytes& b) {
             b.resize(r2 + 2);
             set16(b, 8, static_cast<std::uint16_t>(b.size()));
         },
         reason::truncated_record},
    };
    decoded d;
    ASSERT_EQ(decode(valid(), {}, d), reason::none);
    for (const auto& c : cases) {
        bytes b = valid();
        c.mutate(b);
        EXPECT_EQ(decode(b, {}, d), c.want) << c.name << ": got " << reason_name(decode(b, {}, d));
    }
}

TEST(SyncCodec, EveryTruncationIsRefused) {
    const bytes b = valid();
    decoded d;
    for (std::size_t n = 0; n < b.size(); ++n) {
        const reason r = decode(std::span(b).first(n), {}, d);
        EXPECT_EQ(r, n < header_size ? reason::too_short : reason::bad_length) << n;
        // With the length field made to agree, the records themselves are
        // found short.
        if (n > header_size) {
            bytes c(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
            set16(c, 8, static_cast<std::uint16_t>(n));
            const reason rc = decode(c, {}, d);
            const bool on_boundary = n == r1 || n == r2;
            EXPECT_EQ(rc, on_boundary ? reason::count_mismatch : reason::truncated_record) << n;
        }
    }
}

TEST(SyncCodec, ReasonTableHasNames) {
    for (std::size_t i = 0; i < reason_count; ++i) {
        const auto r = static_cast<reason>(i);
        EXPECT_NE(reason_name(r), "unknown");
        EXPECT_FALSE(reason_help(r).empty());
    }
    EXPECT_EQ(reason_name(reason::bad_hmac), "bad_hmac");
}

TEST(SyncCodec, SerialArithmetic) {
    EXPECT_TRUE(seq_before(1, 2));
    EXPECT_FALSE(seq_before(2, 1));
    EXPECT_FALSE(seq_before(5, 5));
    EXPECT_TRUE(seq_before(0xfffffff0u, 3)); // across the wrap
    EXPECT_FALSE(seq_before(3, 0xfffffff0u));
}

} // namespace

namespace {

// docs/ha.md, "Defaults": link-local (never routed, flooded by snooping
// switches) and not IPVS's 224.0.0.81:8848 or its extra sync threads' ports.
TEST(SyncCodec, DefaultsAreNotIpvs) {
    EXPECT_NE(vipgate::sync::default_group, (vipgate::net::ipv4_addr{224, 0, 0, 81}));
    EXPECT_TRUE(
        (vipgate::net::ipv4_prefix{{224, 0, 0, 0}, 24}.contains(vipgate::sync::default_group)));
    EXPECT_TRUE(vipgate::sync::default_udp_port < 8848 || vipgate::sync::default_udp_port > 8911);
}

} // namespace

namespace {

// The largest message: the 16-bit length field bounds header + records, the
// HMAC trailer comes on top.
TEST(SyncCodec, LargestKeyedMessageRoundTrips) {
    using namespace vipgate::sync;
    const std::vector<std::uint8_t> key = {1};
    std::vector<std::uint8_t> b(max_message_size + hmac_size);
    encoder e(b, b.size(), key);
    std::size_t n = 0;
    while (e.add(bulk_request_record{1, static_cast<std::uint32_t>(n)})) {
        ++n;
    }
    EXPECT_EQ(n, (max_message_size - header_size) / bulk_request_record_size);
    header h{.type = msg_type::data, .node = 1, .sync_id = 1, .epoch = 1, .seq = 1, .oldest = 1};
    b.resize(e.finish(h));
    EXPECT_EQ(b.size(), header_size + n * bulk_request_record_size + hmac_size);
    decoded d;
    ASSERT_EQ(decode(b, {.key = key}, d), reason::none);
    EXPECT_EQ(d.hdr.count, n);
}

} // namespace
