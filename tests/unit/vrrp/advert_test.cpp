// Advert codec: golden bytes from keepalived 2.2.7 (checklist §1), both v3
// checksum forms, every decode reject reason.

#include "vrrp/advert.hpp"
#include "vrrp/checksum.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace vipgate::vrrp {
namespace {

using net::ipv4_addr;

std::vector<std::uint8_t> hex(std::string_view s) {
    std::vector<std::uint8_t> out;
    std::string digits;
    for (char c : s) {
        if (c != ' ') {
            digits += c;
        }
    }
    for (std::size_t i = 0; i + 1 < digits.size(); i += 2) {
        out.push_back(static_cast<std::uint8_t>(std::stoi(digits.substr(i, 2), nullptr, 16)));
    }
    return out;
}

std::vector<std::uint8_t> encode_vec(const advert& a, ipv4_addr src, ipv4_addr dst,
                                     checksum_form form = checksum_form::pseudo_header) {
    std::vector<std::uint8_t> buf(max_message_size);
    buf.resize(encode(a, src, dst, buf, form));
    return buf;
}

const ipv4_addr src_a{10, 99, 0, 1};
const ipv4_addr peer_b{10, 99, 0, 2};

// keepalived 2.2.7, observed: VRID 51, prio 150, PASS "secret12",
// VIPs 10.99.0.100/101, adver int 1 s.
const auto golden_v2 = hex("21339602 0101 c4bb 0a630064 0a630065 7365637265743132");
// keepalived 2.2.7, observed: VRID 52, prio 100, 0.5 s, VIP 10.99.0.200.
// Checksum with the pseudo-header: solving it over 10.99.0.0/16 gives the
// source 10.99.0.1 (dst 224.0.0.18).
const auto golden_v3 = hex("31346401 0032 747a 0a6300c8");

advert golden_v2_advert() {
    return advert{.vrid = 51,
                  .priority = 150,
                  .interval = v2_advert_int{1},
                  .auth_type = auth_type_pass,
                  .auth_data = pass_auth_data("secret12"),
                  .addresses = {ipv4_addr{10, 99, 0, 100}, ipv4_addr{10, 99, 0, 101}}};
}

advert golden_v3_advert() {
    return advert{.vrid = 52,
                  .priority = 100,
                  .interval = v3_advert_int{50},
                  .addresses = {ipv4_addr{10, 99, 0, 200}}};
}

TEST(advert_codec, v2_golden_encodes_byte_for_byte) {
    EXPECT_EQ(encode_vec(golden_v2_advert(), src_a, multicast_group), golden_v2);
}

TEST(advert_codec, v2_golden_decodes) {
    advert out;
    const auto r = decode(golden_v2, src_a, multicast_group, {}, out);
    ASSERT_TRUE(r.ok()) << reject_reason_name(r.reason);
    EXPECT_EQ(r.form, checksum_form::message_only);
    EXPECT_EQ(out, golden_v2_advert());
    EXPECT_EQ(out.version(), 2);
    EXPECT_EQ(out.interval_duration(), std::chrono::seconds{1});
}

TEST(advert_codec, v2_checksum_ignores_ip_addresses) {
    // RFC 3768 §5.3.8: the v2 checksum covers the VRRP message only.
    EXPECT_EQ(encode_vec(golden_v2_advert(), peer_b, ipv4_addr{10, 99, 0, 9}), golden_v2);
}

TEST(advert_codec, v3_golden_encodes_with_pseudo_header) {
    EXPECT_EQ(encode_vec(golden_v3_advert(), src_a, multicast_group), golden_v3);
}

TEST(advert_codec, v3_golden_source_is_the_only_solution_in_10_99) {
    // The checklist does not say which source produced 0x747a: search it.
    std::vector<ipv4_addr> found;
    for (unsigned c = 0; c < 256; ++c) {
        for (unsigned d = 0; d < 256; ++d) {
            const ipv4_addr s{10, 99, static_cast<std::uint8_t>(c), static_cast<std::uint8_t>(d)};
            if (encode_vec(golden_v3_advert(), s, multicast_group) == golden_v3) {
                found.push_back(s);
            }
        }
    }
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0], src_a);
}

TEST(advert_codec, v3_message_only_sum_is_0x5f6d) {
    const auto msg =
        encode_vec(golden_v3_advert(), src_a, multicast_group, checksum_form::message_only);
    ASSERT_EQ(msg.size(), 12u);
    EXPECT_EQ(msg[6], 0x5f);
    EXPECT_EQ(msg[7], 0x6d);
    auto zeroed = golden_v3;
    zeroed[6] = zeroed[7] = 0;
    EXPECT_EQ(detail::finish(detail::sum16(zeroed)), 0x5f6d);
}

TEST(advert_codec, v3_golden_decodes) {
    advert out;
    const auto r = decode(golden_v3, src_a, multicast_group, {}, out);
    ASSERT_TRUE(r.ok()) << reject_reason_name(r.reason);
    EXPECT_EQ(r.form, checksum_form::pseudo_header);
    EXPECT_EQ(out, golden_v3_advert());
    EXPECT_EQ(out.version(), 3);
    EXPECT_EQ(out.interval_duration(), std::chrono::milliseconds{500});
}

struct form_case {
    const char* name;
    checksum_form sent;
    ipv4_addr dst;
    checksum_form decoded;
};

TEST(advert_codec, v3_accepts_every_checksum_form) {
    const ipv4_addr unicast{10, 99, 0, 2};
    const form_case cases[] = {
        {"multicast, pseudo-header", checksum_form::pseudo_header, multicast_group,
         checksum_form::pseudo_header},
        {"unicast, pseudo-header with the real dst", checksum_form::pseudo_header, unicast,
         checksum_form::pseudo_header},
        {"unicast, keepalived <= 1.3.5 (224.0.0.18 in the pseudo-header)",
         checksum_form::pseudo_header_mcast, unicast, checksum_form::pseudo_header_mcast},
        {"multicast, RFC 9568 / Cisco message only", checksum_form::message_only, multicast_group,
         checksum_form::message_only},
        {"unicast, message only", checksum_form::message_only, unicast,
         checksum_form::message_only},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const auto msg = encode_vec(golden_v3_advert(), src_a, c.dst, c.sent);
        advert out;
        const auto r = decode(msg, src_a, c.dst, {}, out);
        ASSERT_TRUE(r.ok()) << reject_reason_name(r.reason);
        EXPECT_EQ(r.form, c.decoded);
        EXPECT_EQ(out, golden_v3_advert());
    }
}

TEST(advert_codec, v3_pseudo_header_binds_the_source) {
    advert out;
    EXPECT_EQ(decode(golden_v3, peer_b, multicast_group, {}, out).reason,
              reject_reason::bad_checksum);
}

TEST(advert_codec, v2_type0_sends_zero_auth_bytes) {
    advert a = golden_v2_advert();
    a.auth_type = auth_type_none; // auth_data left set: must not leak
    const auto msg = encode_vec(a, src_a, multicast_group);
    ASSERT_EQ(msg.size(), 24u);
    EXPECT_TRUE(std::all_of(msg.end() - 8, msg.end(), [](std::uint8_t b) { return b == 0; }));
    advert out;
    ASSERT_TRUE(decode(msg, src_a, multicast_group, {}, out).ok());
    EXPECT_EQ(out.auth_type, auth_type_none);
}

TEST(advert_codec, pass_password_truncated_or_padded_to_8) {
    EXPECT_EQ(pass_auth_data("secret12345"), pass_auth_data("secret12"));
    const auto p = pass_auth_data("abc");
    EXPECT_EQ(p, (std::array<std::uint8_t, 8>{'a', 'b', 'c', 0, 0, 0, 0, 0}));
}

TEST(advert_codec, encode_refuses_a_short_buffer) {
    std::array<std::uint8_t, 23> small{};
    EXPECT_EQ(encode(golden_v2_advert(), src_a, multicast_group, small), 0u);
    std::array<std::uint8_t, 24> exact{};
    EXPECT_EQ(encode(golden_v2_advert(), src_a, multicast_group, exact), 24u);
}

TEST(advert_codec, round_trips_255_addresses) {
    advert a{.vrid = 7, .priority = 200, .interval = v3_advert_int{4095}};
    for (unsigned i = 0; i < 255; ++i) {
        ASSERT_TRUE(a.addresses.push_back(ipv4_addr{10, 1, 0, static_cast<std::uint8_t>(i)}));
    }
    EXPECT_FALSE(a.addresses.push_back(ipv4_addr{10, 2, 0, 0})); // full
    const auto msg = encode_vec(a, src_a, multicast_group);
    EXPECT_EQ(msg.size(), 8u + 4u * 255u);
    advert out;
    ASSERT_TRUE(decode(msg, src_a, multicast_group, {}, out).ok());
    EXPECT_EQ(out, a);
    EXPECT_EQ(out.interval_duration(), std::chrono::milliseconds{40950});
}

TEST(advert_codec, v3_reserved_bits_are_ignored) {
    // RFC 5798 §5.2.6: reserved bits are ignored on reception.
    auto msg = golden_v3;
    msg[4] |= 0xf0;
    // fix the checksum for the changed word
    msg[6] = msg[7] = 0;
    const auto ck = detail::finish(
        detail::sum16(msg, detail::pseudo_header_sum(src_a.value, multicast_group.value, 12)));
    msg[6] = static_cast<std::uint8_t>(ck >> 8);
    msg[7] = static_cast<std::uint8_t>(ck);
    advert out;
    ASSERT_TRUE(decode(msg, src_a, multicast_group, {}, out).ok());
    EXPECT_EQ(std::get<v3_advert_int>(out.interval).centiseconds(), 50);
}

struct reject_case {
    const char* name;
    std::vector<std::uint8_t> bytes;
    decode_options opts;
    reject_reason want;
};

std::vector<std::uint8_t> with(std::vector<std::uint8_t> b, std::size_t i, std::uint8_t v) {
    b[i] = v;
    return b;
}

TEST(advert_codec, decode_reject_reasons) {
    auto padded = golden_v3;
    padded.push_back(0);
    padded.push_back(0);
    auto v2_without_auth = golden_v2;
    v2_without_auth.resize(golden_v2.size() - 8);
    const auto zero_interval = encode_vec(advert{.vrid = 52,
                                                 .priority = 100,
                                                 .interval = v3_advert_int{0},
                                                 .addresses = {ipv4_addr{10, 99, 0, 200}}},
                                          src_a, multicast_group);
    const reject_case cases[] = {
        {"TTL 64", golden_v2, {.ip_ttl = 64}, reject_reason::bad_ttl},
        {"TTL 254", golden_v3, {.ip_ttl = 254}, reject_reason::bad_ttl},
        {"7 bytes",
         std::vector<std::uint8_t>(golden_v2.begin(), golden_v2.begin() + 7),
         {},
         reject_reason::too_short},
        {"empty", {}, {}, reject_reason::too_short},
        {"version 1", with(golden_v2, 0, 0x11), {}, reject_reason::bad_version},
        {"version 4", with(golden_v2, 0, 0x41), {}, reject_reason::bad_version},
        {"v3 to a v2 instance",
         golden_v3,
         {.expected_version = 2},
         reject_reason::version_mismatch},
        {"v2 to a v3 instance",
         golden_v2,
         {.expected_version = 3},
         reject_reason::version_mismatch},
        {"type 2", with(golden_v2, 0, 0x22), {}, reject_reason::bad_type},
        {"Ethernet padding left on", padded, {}, reject_reason::bad_length},
        {"v2 without the 8 auth bytes", v2_without_auth, {}, reject_reason::bad_length},
        {"count says 3 addresses", with(golden_v2, 3, 3), {}, reject_reason::bad_length},
        {"v2 corrupted", with(golden_v2, 19, 0x33), {}, reject_reason::bad_checksum},
        {"v3 corrupted", with(golden_v3, 2, 101), {}, reject_reason::bad_checksum},
        {"v3 interval 0", zero_interval, {}, reject_reason::bad_interval},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        advert out;
        EXPECT_EQ(decode(c.bytes, src_a, multicast_group, c.opts, out).reason, c.want);
    }
}

TEST(advert_codec, ttl_check_can_be_skipped_for_unicast) {
    advert out;
    EXPECT_TRUE(decode(golden_v2, src_a, peer_b, {.ip_ttl = 64, .check_ttl = false}, out).ok());
}

TEST(reject_reasons, table_is_complete_and_snake_case) {
    std::set<std::string_view> names;
    for (std::size_t i = 0; i < reject_reason_count; ++i) {
        const auto r = static_cast<reject_reason>(i);
        const auto name = reject_reason_name(r);
        EXPECT_NE(name, "unknown");
        EXPECT_FALSE(reject_reason_help(r).empty());
        EXPECT_TRUE(std::all_of(name.begin(), name.end(), [](char c) {
            return std::islower(static_cast<unsigned char>(c)) || c == '_';
        })) << name;
        names.insert(name);
    }
    EXPECT_EQ(names.size(), reject_reason_count);
    EXPECT_EQ(reject_reason_name(reject_reason::bad_checksum), "bad_checksum");
    EXPECT_EQ(reject_reason_name(static_cast<reject_reason>(reject_reason_count)), "unknown");
}

TEST(units, interval_conversions_are_exact) {
    using namespace std::chrono_literals;
    EXPECT_EQ(v2_advert_int::from_duration(3s), v2_advert_int{3});
    EXPECT_FALSE(v2_advert_int::from_duration(1500ms));
    EXPECT_FALSE(v2_advert_int::from_duration(0s));
    EXPECT_FALSE(v2_advert_int::from_duration(256s));
    EXPECT_EQ(v3_advert_int::from_duration(10ms), v3_advert_int{1});
    EXPECT_EQ(v3_advert_int::from_duration(40950ms), v3_advert_int{4095});
    EXPECT_FALSE(v3_advert_int::from_duration(40960ms));
    EXPECT_FALSE(v3_advert_int::from_duration(15ms));
    EXPECT_EQ(v3_advert_int{0xf032}.centiseconds(), 0x032); // reserved bits masked
    EXPECT_EQ(v3_advert_int{1}.to_duration(), 10ms);
}

} // namespace
} // namespace vipgate::vrrp

#ifdef VIPGATE_VRRP_DOC
namespace vipgate::vrrp {
namespace {

TEST(reject_reasons, docs_table_matches_the_code) {
    std::ifstream in(VIPGATE_VRRP_DOC);
    ASSERT_TRUE(in) << VIPGATE_VRRP_DOC;
    std::set<std::string> rows;
    bool in_section = false;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("#", 0) == 0) {
            in_section = line == "### Reject reasons";
        }
        if (!in_section || line.rfind("| `", 0) != 0) {
            continue;
        }
        const auto end = line.find('`', 3);
        rows.insert(line.substr(3, end - 3));
    }
    std::set<std::string> names;
    for (std::size_t i = 0; i < reject_reason_count; ++i) {
        names.insert(std::string(reject_reason_name(static_cast<reject_reason>(i))));
    }
    EXPECT_EQ(rows, names);
}

} // namespace
} // namespace vipgate::vrrp
#endif
