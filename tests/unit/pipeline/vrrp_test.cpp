// pipeline::process() on VRRP ports: advert validation (RFC 5798 §7.1,
// RFC 3768 §7.1, keepalived vrrp_check_packet()) with the instance's counter
// slot, and the virtual MAC of use_vmac instances in ARP and ICMP replies.
// Adverts are encoded with vrrp::encode() (or taken from the keepalived
// interop checklist's golden bytes) and framed with lib/net's builders.

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "net/builder.hpp"
#include "net/checksum.hpp"
#include "net/headers.hpp"
#include "net/parse.hpp"
#include "pipeline/pipeline.hpp"
#include "test_util.hpp"
#include "vrrp/advert.hpp"
#include "vrrp/config.hpp"
#include "vrrp/reject_reason.hpp"

namespace vipgate::pipeline {
namespace {

using namespace std::chrono_literals;
using namespace vipgate::net;
using test::build;
using test::builder_fn;
using test::bytes;
using test::describe;
using vrrp::reject_reason;

// ------------------------------------------------------------- topology --
// This node is 10.99.0.2; the keepalived peer that produced the golden
// adverts of the checklist is 10.99.0.1.

const mac_addr port_mac{{0x02, 0x42, 0x0a, 0x63, 0x00, 0x02}};
const mac_addr peer_mac{{0x02, 0x42, 0x0a, 0x63, 0x00, 0x01}};
const mac_addr other_mac{{0x02, 0x42, 0x0a, 0x63, 0x00, 0x09}};
const mac_addr mcast_mac{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x12}}; // 224.0.0.18
const mac_addr vmac52{{0x00, 0x00, 0x5e, 0x00, 0x01, 52}};      // RFC 5798 §7.3
const mac_addr vmac51{{0x00, 0x00, 0x5e, 0x00, 0x01, 51}};      // not in virtual_macs
const ipv4_addr port_ip{10, 99, 0, 2};
const ipv4_addr peer_ip{10, 99, 0, 1};
const ipv4_addr peer2_ip{10, 99, 0, 3};
const ipv4_addr client_ip{10, 99, 0, 50};
const ipv4_addr vip51a{10, 99, 0, 100};
const ipv4_addr vip51b{10, 99, 0, 101};
const ipv4_addr vip51c{10, 99, 0, 102}; // not configured
const ipv4_addr vip52{10, 99, 0, 200};
const ipv4_addr vip60{10, 99, 0, 160};
const ipv4_addr vip61{10, 99, 0, 161};
const ipv4_addr mcast = vrrp::multicast_group;

// Counter slots deliberately differ from the order of the instances.
constexpr std::uint8_t slot51 = 3;
constexpr std::uint8_t slot52 = 0;
constexpr std::uint8_t slot60 = 7;
constexpr std::uint8_t slot61 = 1;
constexpr std::uint8_t none = no_vrrp_slot;

vrrp::instance_config normalized(vrrp::instance_config c) {
    auto r = vrrp::normalize(std::move(c));
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.message());
    return r.ok() ? std::move(r).value() : vrrp::instance_config{};
}

// 51: v2, keepalived PASS "secret12", multicast (the golden v2 advert).
// 52: v3, multicast, use_vmac, MASTER here (the golden v3 advert's VRID).
// 60: v3, unicast with peer 10.99.0.1.
// 61: v2, unicast with peer 10.99.0.3 and check_unicast_src.
const std::array<vrrp::instance_config, 4> configs{
    normalized({.name = "vi_51",
                .vrid = 51,
                .version = 2,
                .advert_int = 1s,
                .virtual_addresses = {vip51a, vip51b},
                .auth = vrrp::auth_kind::pass,
                .auth_pass = "secret12",
                .primary_address = port_ip}),
    normalized({.name = "vi_52",
                .vrid = 52,
                .version = 3,
                .advert_int = 1s,
                .virtual_addresses = {vip52},
                .use_vmac = true,
                .primary_address = port_ip}),
    normalized({.name = "vi_60",
                .vrid = 60,
                .version = 3,
                .advert_int = 1s,
                .virtual_addresses = {vip60},
                .unicast_peers = {peer_ip},
                .primary_address = port_ip}),
    normalized({.name = "vi_61",
                .vrid = 61,
                .version = 2,
                .advert_int = 1s,
                .virtual_addresses = {vip61},
                .unicast_peers = {peer2_ip},
                .check_unicast_src = true,
                .primary_address = port_ip}),
};
const std::array<vrrp_view, 4> instances{
    vrrp_view{.vrid = 51, .slot = slot51, .cfg = &configs[0]},
    vrrp_view{.vrid = 52, .slot = slot52, .cfg = &configs[1]},
    vrrp_view{.vrid = 60, .slot = slot60, .cfg = &configs[2]},
    vrrp_view{.vrid = 61, .slot = slot61, .cfg = &configs[3]},
};
// 51 and 52 are MASTER here; 52 answers with its VMAC.
const std::array<owned_address, 4> owned{
    owned_address{port_ip, port_mac},
    owned_address{vip51a, port_mac},
    owned_address{vip51b, port_mac},
    owned_address{vip52, vmac52},
};
const std::array<mac_addr, 1> virtual_macs{vmac52};
const std::array<owned_address, 1> bare_owned{owned_address{port_ip, port_mac}};
const std::array<port_view, 2> ports{
    port_view{.mac = port_mac,
              .address = port_ip,
              .owned = owned,
              .virtual_macs = virtual_macs,
              .vrrp = instances},
    port_view{.mac = port_mac, .address = port_ip, .owned = bare_owned}, // no VRRP
};
const context ctx{.ports = ports};

// ------------------------------------------------------------- adverts --

// Checklist §1 golden bytes, captured from keepalived 2.2.7 (src 10.99.0.1).
const bytes golden_v2 = {0x21, 0x33, 0x96, 0x02, 0x01, 0x01, 0xc4, 0xbb, 0x0a, 0x63, 0x00, 0x64,
                         0x0a, 0x63, 0x00, 0x65, 0x73, 0x65, 0x63, 0x72, 0x65, 0x74, 0x31, 0x32};
const bytes golden_v3 = {0x31, 0x34, 0x64, 0x01, 0x00, 0x32, 0x74, 0x7a, 0x0a, 0x63, 0x00, 0xc8};

vrrp::advert v2_51() {
    return {.vrid = 51,
            .priority = 150,
            .interval = vrrp::v2_advert_int{1},
            .auth_type = vrrp::auth_type_pass,
            .auth_data = vrrp::pass_auth_data("secret12"),
            .addresses = {vip51a, vip51b}};
}
vrrp::advert v3_52() {
    return {.vrid = 52, .priority = 100, .interval = vrrp::v3_advert_int{50}, .addresses = {vip52}};
}
vrrp::advert v3_60() {
    return {
        .vrid = 60, .priority = 100, .interval = vrrp::v3_advert_int{100}, .addresses = {vip60}};
}
vrrp::advert v2_61() {
    return {.vrid = 61, .priority = 100, .interval = vrrp::v2_advert_int{1}, .addresses = {vip61}};
}

// A VRRP message as bytes: the golden ones, or vrrp::encode() of an advert
// with the given IP addresses and v3 checksum form.
bytes encoded(const vrrp::advert& a, ipv4_addr src, ipv4_addr dst,
              vrrp::checksum_form form = vrrp::checksum_form::pseudo_header) {
    bytes m(vrrp::max_message_size);
    const std::size_t n = vrrp::encode(a, src, dst, m, form);
    EXPECT_NE(n, 0u) << "encode failed";
    m.resize(n);
    return m;
}

struct frame_opts {
    ipv4_addr src = peer_ip;
    ipv4_addr dst = mcast;
    std::uint8_t ttl = vrrp::required_ttl;
    mac_addr eth_dst = mcast_mac;
    mac_addr eth_src = peer_mac;
    std::optional<std::uint16_t> vlan_tci;
    std::uint16_t vlan_tpid = ethertype_vlan;
    bool pad = true;
    std::span<const std::uint8_t> ip_options = {};
};

// Ethernet + IPv4 (protocol 112) + `msg`, as keepalived sends it (TOS 0xc0).
builder_fn vrrp_frame(const bytes& msg, const frame_opts& o = {}) {
    return [=](std::span<std::uint8_t> out) {
        return build_ipv4_frame(
            out,
            {.dst = o.eth_dst,
             .src = o.eth_src,
             .vlan_tci = o.vlan_tci,
             .vlan_tpid = o.vlan_tpid,
             .pad_to_min = o.pad},
            {.src = o.src, .dst = o.dst, .ttl = o.ttl, .tos = 0xc0, .options = o.ip_options},
            ip_proto_vrrp, msg);
    };
}

// encode() with the frame's own addresses (the v3 pseudo-header needs them).
builder_fn advert(const vrrp::advert& a, const frame_opts& o = {},
                  vrrp::checksum_form form = vrrp::checksum_form::pseudo_header) {
    return vrrp_frame(encoded(a, o.src, o.dst, form), o);
}

// An encoded message changed after encoding (checksum not fixed unless the
// mutation does it), framed with consistent IP lengths.
builder_fn mutated(const vrrp::advert& a, const std::function<void(bytes&)>& mutate,
                   const frame_opts& o = {}) {
    bytes m = encoded(a, o.src, o.dst);
    mutate(m);
    return vrrp_frame(m, o);
}

// RFC 1071 over the message, written to bytes 6-7 (v2 / v3 message-only):
// a mutated message then fails for the mutation, not for its checksum.
void fix_message_checksum(bytes& m) {
    m[6] = 0;
    m[7] = 0;
    store_be16(m.data() + 6, internet_checksum(m));
}

const std::array<std::uint8_t, 4> ip_nops{0x01, 0x01, 0x01, 0x00};

// --------------------------------------------------------------- cases --

struct vrrp_case {
    const char* name;
    builder_fn build;
    std::uint16_t port = 0;
    std::size_t pad_junk_to = 0; // append 0xa5 junk up to this frame length
    verdict want;
};

verdict rejected(reject_reason r, std::uint8_t slot) {
    return verdict::vrrp_rejected(static_cast<std::uint8_t>(r), slot);
}

std::vector<vrrp_case> vrrp_cases() {
    using vrrp::checksum_form;
    auto with = [](vrrp::advert a, const std::function<void(vrrp::advert&)>& f) {
        f(a);
        return a;
    };
    const frame_opts unicast{.dst = port_ip, .eth_dst = port_mac};
    const frame_opts unicast_from_peer2{.src = peer2_ip, .dst = port_ip, .eth_dst = port_mac};
    return {
        // ------------------------------------------------------ accepted
        {.name = "golden_v2_pass",
         .build = vrrp_frame(golden_v2),
         .want = verdict::punted(punt_kind::vrrp, slot51)},
        {.name = "golden_v3_pseudo_header",
         .build = vrrp_frame(golden_v3),
         .want = verdict::punted(punt_kind::vrrp, slot52)},
        {.name = "v2_encoded",
         .build = advert(v2_51()),
         .want = verdict::punted(punt_kind::vrrp, slot51)},
        {.name = "v2_vips_in_other_order",
         .build = advert(with(v2_51(),
                              [](auto& a) {
                                  a.addresses = {vip51b, vip51a};
                              })),
         .want = verdict::punted(punt_kind::vrrp, slot51)},
        {.name = "v2_priority_0_resign",
         .build = advert(with(v2_51(), [](auto& a) { a.priority = 0; })),
         .want = verdict::punted(punt_kind::vrrp, slot51)},
        {.name = "v3_encoded",
         .build = advert(v3_52()),
         .want = verdict::punted(punt_kind::vrrp, slot52)},
        {.name = "v3_message_only_checksum_rfc9568",
         .build = advert(v3_52(), {}, checksum_form::message_only),
         .want = verdict::punted(punt_kind::vrrp, slot52)},
        {.name = "v3_interval_differs_is_adopted_not_checked",
         .build = advert(with(v3_52(), [](auto& a) { a.interval = vrrp::v3_advert_int{4095}; })),
         .want = verdict::punted(punt_kind::vrrp, slot52)},
        {.name = "v3_vlan_tagged",
         .build = advert(v3_52(), {.vlan_tci = 0x0063}),
         .want = verdict::punted(punt_kind::vrrp, slot52)},
        {.name = "v3_with_ip_options",
         .build = advert(v3_52(), {.ip_options = ip_nops}),
         .want = verdict::punted(punt_kind::vrrp, slot52)},
        {.name = "v3_from_peer_vmac_source", // keepalived with use_vmac
         .build = advert(v3_52(), {.eth_src = vmac52}),
         .want = verdict::punted(punt_kind::vrrp, slot52)},
        {.name = "v3_unpadded_46_byte_frame",
         .build = advert(v3_52(), {.pad = false}),
         .want = verdict::punted(punt_kind::vrrp, slot52)},
        {.name = "v3_short_advert_zero_padding",
         .build = advert(v3_52()),
         .want = verdict::punted(punt_kind::vrrp, slot52)},
        {.name = "v3_short_advert_junk_padding",
         .build = advert(v3_52(), {.pad = false}),
         .pad_junk_to = 60,
         .want = verdict::punted(punt_kind::vrrp, slot52)},
        {.name = "v2_golden_junk_padding_vlan",
         .build = vrrp_frame(golden_v2, {.vlan_tci = 5, .pad = false}),
         .pad_junk_to = 80,
         .want = verdict::punted(punt_kind::vrrp, slot51)},
        {.name = "unicast_v3_to_primary",
         .build = advert(v3_60(), unicast),
         .want = verdict::punted(punt_kind::vrrp, slot60)},
        {.name = "unicast_v3_ttl_not_checked_like_keepalived",
         .build = advert(v3_60(), {.dst = port_ip, .ttl = 62, .eth_dst = port_mac}),
         .want = verdict::punted(punt_kind::vrrp, slot60)},
        {.name = "unicast_v3_old_keepalived_mcast_pseudo_header",
         .build = advert(v3_60(), unicast, checksum_form::pseudo_header_mcast),
         .want = verdict::punted(punt_kind::vrrp, slot60)},
        {.name = "unicast_v3_message_only_checksum",
         .build = advert(v3_60(), unicast, checksum_form::message_only),
         .want = verdict::punted(punt_kind::vrrp, slot60)},
        {.name = "unicast_v2_from_checked_peer",
         .build = advert(v2_61(), unicast_from_peer2),
         .want = verdict::punted(punt_kind::vrrp, slot61)},
        // -------------------------------------- rejected, by reject_reason
        {.name = "bad_ttl_multicast_v3",
         .build = advert(v3_52(), {.ttl = 64}),
         .want = rejected(reject_reason::bad_ttl, slot52)},
        {.name = "bad_ttl_multicast_v2_254",
         .build = vrrp_frame(golden_v2, {.ttl = 254}),
         .want = rejected(reject_reason::bad_ttl, slot51)},
        {.name = "too_short_7_bytes",
         .build = vrrp_frame(bytes(golden_v2.begin(), golden_v2.begin() + 7)),
         .want = rejected(reject_reason::too_short, none)},
        {.name = "too_short_empty_payload",
         .build = vrrp_frame(bytes{}),
         .want = rejected(reject_reason::too_short, none)},
        {.name = "too_short_1_byte_unicast",
         .build = vrrp_frame(bytes{0x31}, unicast),
         .want = rejected(reject_reason::too_short, none)},
        {.name = "bad_version_4",
         .build = mutated(v3_52(),
                          [](bytes& m) {
                              m[0] = 0x41;
                              fix_message_checksum(m);
                          }),
         .want = rejected(reject_reason::bad_version, slot52)},
        {.name = "version_mismatch_v3_to_v2_instance",
         .build = advert(with(v3_52(), [](auto& a) { a.vrid = 51; })),
         .want = rejected(reject_reason::version_mismatch, slot51)},
        {.name = "version_mismatch_v2_to_v3_instance",
         .build = advert(with(v2_51(), [](auto& a) { a.vrid = 52; })),
         .want = rejected(reject_reason::version_mismatch, slot52)},
        {.name = "bad_type_2",
         .build = mutated(v3_52(),
                          [](bytes& m) {
                              m[0] = 0x32;
                              fix_message_checksum(m);
                          }),
         .want = rejected(reject_reason::bad_type, slot52)},
        {.name = "bad_length_count_too_high",
         .build = mutated(v3_52(),
                          [](bytes& m) {
                              m[3] = 2;
                              fix_message_checksum(m);
                          }),
         .want = rejected(reject_reason::bad_length, slot52)},
        {.name = "bad_length_v2_without_auth_bytes",
         .build = vrrp_frame(bytes(golden_v2.begin(), golden_v2.end() - 8)),
         .want = rejected(reject_reason::bad_length, slot51)},
        {.name = "bad_length_trailing_bytes_inside_ip",
         .build = mutated(v2_51(),
                          [](bytes& m) {
                              m.insert(m.end(), {0, 0, 0, 0});
                          }),
         .want = rejected(reject_reason::bad_length, slot51)},
        {.name = "bad_checksum_v2_auth_byte",
         .build = mutated(v2_51(), [](bytes& m) { m.back() ^= 0x01; }),
         .want = rejected(reject_reason::bad_checksum, slot51)},
        {.name = "bad_checksum_v3",
         .build = mutated(v3_52(), [](bytes& m) { m[7] ^= 0x80; }),
         .want = rejected(reject_reason::bad_checksum, slot52)},
        {.name = "bad_checksum_v3_pseudo_header_other_source",
         // Computed for 10.99.0.9 but sent from 10.99.0.1.
         .build = vrrp_frame(encoded(v3_52(), ipv4_addr{10, 99, 0, 9}, mcast)),
         .want = rejected(reject_reason::bad_checksum, slot52)},
        {.name = "bad_interval_v3_zero",
         .build = advert(with(v3_52(), [](auto& a) { a.interval = vrrp::v3_advert_int{0}; })),
         .want = rejected(reject_reason::bad_interval, slot52)},
        {.name = "unknown_vrid",
         .build = advert(with(v3_52(), [](auto& a) { a.vrid = 99; })),
         .want = rejected(reject_reason::unknown_vrid, none)},
        {.name = "unknown_vrid_below_all",
         .build = advert(with(v2_51(), [](auto& a) { a.vrid = 1; })),
         .want = rejected(reject_reason::unknown_vrid, none)},
        {.name = "unknown_vrid_above_all",
         .build = advert(with(v2_51(), [](auto& a) { a.vrid = 255; })),
         .want = rejected(reject_reason::unknown_vrid, none)},
        {.name = "bad_auth_type_3",
         .build = advert(with(v2_51(), [](auto& a) { a.auth_type = 3; })),
         .want = rejected(reject_reason::bad_auth_type, slot51)},
        {.name = "auth_type_mismatch_none",
         .build = advert(with(v2_51(), [](auto& a) { a.auth_type = vrrp::auth_type_none; })),
         .want = rejected(reject_reason::auth_type_mismatch, slot51)},
        {.name = "auth_type_mismatch_ah",
         .build = advert(with(v2_51(), [](auto& a) { a.auth_type = vrrp::auth_type_ah; })),
         .want = rejected(reject_reason::auth_type_mismatch, slot51)},
        {.name = "auth_mismatch_wrong_password",
         .build =
             advert(with(v2_51(), [](auto& a) { a.auth_data = vrrp::pass_auth_data("secret13"); })),
         .want = rejected(reject_reason::auth_mismatch, slot51)},
        {.name = "interval_mismatch_v2",
         .build = advert(with(v2_51(), [](auto& a) { a.interval = vrrp::v2_advert_int{2}; })),
         .want = rejected(reject_reason::interval_mismatch, slot51)},
        {.name = "address_count_mismatch",
         .build = advert(with(v2_51(), [](auto& a) { a.addresses = {vip51a}; })),
         .want = rejected(reject_reason::address_count_mismatch, slot51)},
        {.name = "address_count_mismatch_v3_extra_vip",
         .build = advert(with(v3_52(),
                              [](auto& a) {
                                  a.addresses = {vip52, vip60};
                              })),
         .want = rejected(reject_reason::address_count_mismatch, slot52)},
        {.name = "address_mismatch",
         .build = advert(with(v2_51(),
                              [](auto& a) {
                                  a.addresses = {vip51a, vip51c};
                              })),
         .want = rejected(reject_reason::address_mismatch, slot51)},
        {.name = "unexpected_unicast_to_multicast_instance",
         .build = advert(v3_52(), unicast),
         .want = rejected(reject_reason::unexpected_unicast, slot52)},
        {.name = "unexpected_multicast_to_unicast_instance",
         .build = advert(v3_60()),
         .want = rejected(reject_reason::unexpected_multicast, slot60)},
        {.name = "unknown_unicast_peer",
         .build = advert(v2_61(), unicast),
         .want = rejected(reject_reason::unknown_unicast_peer, slot61)},
        // --------------------------------------------- dropped before VRRP
        {.name = "no_vrrp_instance_on_port",
         .build = vrrp_frame(golden_v2),
         .port = 1,
         .want = verdict::dropped(drop_reason::vrrp_no_instance)},
        {.name = "no_vrrp_instance_on_port_garbage",
         .build = vrrp_frame(bytes{0x00}),
         .port = 1,
         .want = verdict::dropped(drop_reason::vrrp_no_instance)},
        {.name = "own_advert_looped_back",
         .build = advert(v3_52(), {.src = port_ip, .eth_src = port_mac}),
         .want = verdict::dropped(drop_reason::ipv4_bad_src)},
        {.name = "own_advert_looped_back_v2",
         .build = vrrp_frame(golden_v2, {.src = port_ip, .eth_src = port_mac}),
         .want = verdict::dropped(drop_reason::ipv4_bad_src)},
        {.name = "advert_from_our_vip",
         .build = advert(v3_52(), {.src = vip52}),
         .want = verdict::dropped(drop_reason::ipv4_bad_src)},
        {.name = "advert_from_zero_source",
         .build = advert(v3_52(), {.src = ipv4_addr{0}}),
         .want = verdict::dropped(drop_reason::ipv4_bad_src)},
        {.name = "unicast_advert_to_vip_not_primary",
         .build = advert(v3_60(), {.dst = vip51a, .eth_dst = port_mac}),
         .want = verdict::dropped(drop_reason::ipv4_not_owned)},
        {.name = "unicast_advert_to_stranger",
         .build = advert(v3_60(), {.dst = peer2_ip, .eth_dst = port_mac}),
         .want = verdict::dropped(drop_reason::ipv4_not_owned)},
        {.name = "advert_to_other_multicast_group",
         .build = advert(v3_52(), {.dst = ipv4_addr{224, 0, 0, 5},
                                   .eth_dst = mac_addr{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x05}}}),
         .want = verdict::dropped(drop_reason::ipv4_not_owned)},
        {.name = "advert_unicast_to_other_mac",
         .build = advert(v3_60(), {.dst = port_ip, .eth_dst = other_mac}),
         .want = verdict::dropped(drop_reason::eth_dst_not_ours)},
    };
}

TEST(PipelineVrrp, AdvertCasesGiveTheVerdictAndSlotAndLeaveTheFrameUntouched) {
    for (const auto& c : vrrp_cases()) {
        SCOPED_TRACE(c.name);
        bytes f = build(c.build);
        if (c.pad_junk_to > f.size()) {
            f.resize(c.pad_junk_to, 0xa5);
        }
        f.shrink_to_fit();
        const bytes before = f;
        const verdict v = process(f, c.port, ctx);
        EXPECT_EQ(describe(v), describe(c.want));
        EXPECT_EQ(v.act, c.want.act);
        EXPECT_EQ(v.reason, c.want.reason);
        EXPECT_EQ(v.punt, c.want.punt);
        EXPECT_EQ(v.detail, c.want.detail);
        EXPECT_EQ(v.slot, c.want.slot);
        EXPECT_EQ(f, before) << "a dropped or punted frame must not be modified";
    }
}

// `show vrrp` names the source of the last rejected advert; the worker
// takes it from the verdict (it once re-parsed the frame for it).
TEST(PipelineVrrp, RejectedAdvertCarriesItsSource) {
    const frame_opts unicast_from_peer2{.src = peer2_ip, .dst = port_ip, .eth_dst = port_mac};
    vrrp::advert vrid_99 = v3_52();
    vrid_99.vrid = 99;
    const struct {
        const char* name;
        builder_fn build;
        ipv4_addr src;
    } cases[] = {
        {"bad_ttl", advert(v3_52(), {.ttl = 64}), peer_ip},
        {"bad_ttl_802.1q", advert(v3_52(), {.ttl = 64, .vlan_tci = 7}), peer_ip},
        {"bad_ttl_802.1ad",
         advert(v3_52(), {.ttl = 64, .vlan_tci = 7, .vlan_tpid = ethertype_qinq}), peer_ip},
        {"too_short_no_instance", vrrp_frame(bytes{0x31}), peer_ip},
        {"unknown_vrid_from_peer2", advert(vrid_99, unicast_from_peer2), peer2_ip},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        bytes f = build(c.build);
        const verdict v = process(f, 0, ctx);
        ASSERT_EQ(v.reason, drop_reason::vrrp_rejected) << describe(v);
        EXPECT_EQ(v.sender.address(), c.src);
    }
}

TEST(PipelineVrrp, EveryRejectReasonIsReachableFromThePipeline) {
    std::set<std::uint8_t> seen;
    for (const auto& c : vrrp_cases()) {
        if (c.want.reason == drop_reason::vrrp_rejected) {
            seen.insert(c.want.detail);
        }
    }
    for (std::size_t i = 1; i < vrrp::reject_reason_count; ++i) {
        EXPECT_TRUE(seen.contains(static_cast<std::uint8_t>(i)))
            << "no case for " << vrrp::reject_reason_name(static_cast<reject_reason>(i));
    }
}

TEST(PipelineVrrp, GoldenAdvertsMatchEncode) {
    // The golden bytes are keepalived's; encode() must agree, or the cases
    // above would test two different things.
    EXPECT_EQ(encoded(v2_51(), peer_ip, mcast), golden_v2);
    EXPECT_EQ(encoded(v3_52(), peer_ip, mcast), golden_v3);
}

TEST(PipelineVrrp, SlotFollowsTheViewNotTheVrid) {
    // Same instances, other counter rows: the verdict carries the view's slot.
    const std::array<vrrp_view, 2> views{
        vrrp_view{.vrid = 51, .slot = 42, .cfg = &configs[0]},
        vrrp_view{.vrid = 52, .slot = 9, .cfg = &configs[1]},
    };
    const port_view pv{.mac = port_mac, .address = port_ip, .owned = bare_owned, .vrrp = views};
    const context c{.ports = std::span(&pv, 1)};
    bytes a = build(vrrp_frame(golden_v2));
    EXPECT_EQ(describe(process(a, 0, c)), "punt(vrrp@42)");
    bytes b = build(vrrp_frame(golden_v3));
    EXPECT_EQ(describe(process(b, 0, c)), "punt(vrrp@9)");
    bytes d = build(advert(v3_52(), {.ttl = 1}));
    EXPECT_EQ(describe(process(d, 0, c)), "drop(vrrp_rejected:bad_ttl@9)");
}

TEST(PipelineVrrp, ViewWithoutConfigIsAnUnknownVrid) {
    // A snapshot bug must not crash a worker.
    const vrrp_view view{.vrid = 51, .slot = 2, .cfg = nullptr};
    const port_view pv{
        .mac = port_mac, .address = port_ip, .owned = bare_owned, .vrrp = std::span(&view, 1)};
    const context c{.ports = std::span(&pv, 1)};
    bytes f = build(vrrp_frame(golden_v2));
    EXPECT_EQ(describe(process(f, 0, c)), "drop(vrrp_rejected:unknown_vrid@-)");
}

// ------------------------------------------ truncation at every length --

struct valid_advert {
    const char* name;
    builder_fn build;
    std::uint8_t slot;
};

std::vector<valid_advert> valid_adverts() {
    return {
        {"golden_v2", vrrp_frame(golden_v2, {.pad = false}), slot51},
        {"golden_v3", vrrp_frame(golden_v3, {.pad = false}), slot52},
        {"v3_vlan", advert(v3_52(), {.vlan_tci = 7, .pad = false}), slot52},
        {"v3_unicast", advert(v3_60(), {.dst = port_ip, .eth_dst = port_mac, .pad = false}),
         slot60},
        {"v2_unicast",
         advert(v2_61(), {.src = peer2_ip, .dst = port_ip, .eth_dst = port_mac, .pad = false}),
         slot61},
    };
}

TEST(PipelineVrrp, TruncatedAdvertFramesAreNeverPunted) {
    for (const auto& [name, fn, slot] : valid_adverts()) {
        SCOPED_TRACE(name);
        const bytes full = build(fn);
        {
            bytes f = full;
            ASSERT_EQ(describe(process(f, 0, ctx)),
                      describe(verdict::punted(punt_kind::vrrp, slot)));
        }
        for (std::size_t len = 0; len < full.size(); ++len) {
            bytes f(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(len));
            const bytes before = f;
            const verdict v = process(f, 0, ctx);
            ASSERT_EQ(v.act, action::drop) << "len " << len << ": " << describe(v);
            EXPECT_NE(v.reason, drop_reason::none) << "len " << len;
            EXPECT_EQ(f, before) << "len " << len;
        }
    }
}

TEST(PipelineVrrp, TruncatedAdvertMessagesAreRejected) {
    // The message cut short with the IPv4 total length to match (a sender
    // bug rather than a cut frame): reaches the VRRP checks at every length.
    const std::pair<bytes, std::uint8_t> messages[] = {
        {golden_v2, slot51},
        {golden_v3, slot52},
        {encoded(v2_51(), peer_ip, mcast), slot51},
    };
    for (const auto& [msg, slot] : messages) {
        for (std::size_t len = 0; len < msg.size(); ++len) {
            SCOPED_TRACE(len);
            bytes f = build(
                vrrp_frame(bytes(msg.begin(), msg.begin() + static_cast<std::ptrdiff_t>(len))));
            const verdict v = process(f, 0, ctx);
            const verdict want = len < vrrp::header_size
                                     ? rejected(reject_reason::too_short, none)
                                     : rejected(reject_reason::bad_length, slot);
            ASSERT_EQ(describe(v), describe(want));
        }
    }
}

// ------------------------------------------------------------ use_vmac --

builder_fn arp_request_for(ipv4_addr tpa) {
    return [=](std::span<std::uint8_t> out) {
        return build_arp_request(out, peer_mac, client_ip, tpa);
    };
}

struct icmp_opts {
    mac_addr eth_dst = port_mac;
    ipv4_addr dst = port_ip;
};

builder_fn ping(const icmp_opts& o) {
    static const std::array<std::uint8_t, 8> data{1, 2, 3, 4, 5, 6, 7, 8};
    return [=](std::span<std::uint8_t> out) {
        return build_icmp_echo_frame(out, {.dst = o.eth_dst, .src = peer_mac},
                                     {.src = client_ip, .dst = o.dst},
                                     {.id = 0x4242, .seq = 1, .payload = data});
    };
}

TEST(PipelineVrrp, ArpForAnOwnedAddressIsAnsweredWithItsMac) {
    const struct {
        const char* name;
        ipv4_addr tpa;
        mac_addr mac;
    } cases[] = {
        {"vmac_vip", vip52, vmac52},
        {"vip_without_vmac", vip51a, port_mac},
        {"primary", port_ip, port_mac},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const bytes req = build(arp_request_for(c.tpa));
        bytes f = req;
        ASSERT_EQ(describe(process(f, 0, ctx)), "reply");
        ASSERT_EQ(f.size(), req.size());
        const eth_cview eth(f);
        EXPECT_EQ(eth.src(), c.mac);
        EXPECT_EQ(eth.dst(), peer_mac);
        const arp_cview a(std::span<const std::uint8_t>(f).subspan(eth_header_len));
        EXPECT_EQ(a.op(), arp_op_reply);
        EXPECT_EQ(a.sha(), c.mac);
        EXPECT_EQ(a.spa(), c.tpa);
        EXPECT_EQ(a.tha(), peer_mac);
        EXPECT_EQ(a.tpa(), client_ip);
    }
    bytes other = build(arp_request_for(vip60)); // vi_60 is not MASTER here
    EXPECT_EQ(describe(process(other, 0, ctx)), "drop(arp_not_owned)");
}

TEST(PipelineVrrp, VirtualMacIsAcceptedAtL2AndAnswersForItsVip) {
    const struct {
        const char* name;
        icmp_opts opts;
        mac_addr reply_src;
    } cases[] = {
        {"vip_via_vmac", {.eth_dst = vmac52, .dst = vip52}, vmac52},
        // The owned entry, not the L2 destination, picks the source MAC.
        {"vip_via_port_mac", {.eth_dst = port_mac, .dst = vip52}, vmac52},
        {"primary_via_vmac", {.eth_dst = vmac52, .dst = port_ip}, port_mac},
        {"vip_without_vmac", {.eth_dst = port_mac, .dst = vip51b}, port_mac},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const bytes req = build(ping(c.opts));
        bytes f = req;
        ASSERT_EQ(describe(process(f, 0, ctx)), "reply");
        packet_meta m;
        ASSERT_EQ(parse(f, m), drop_reason::none);
        const std::span<const std::uint8_t> r(f);
        EXPECT_EQ(eth_cview(r).src(), c.reply_src);
        EXPECT_EQ(eth_cview(r).dst(), peer_mac);
        EXPECT_EQ(m.src, c.opts.dst);
        EXPECT_EQ(m.dst, client_ip);
        EXPECT_EQ(icmp_cview(r.subspan(m.l4_offset)).type(), icmp_type_echo_reply);
        EXPECT_TRUE(checksum_ok(r.subspan(m.l4_offset, m.l4_len)));
        EXPECT_TRUE(checksum_ok(r.subspan(m.l3_offset, ipv4_min_header_len)));
    }
}

TEST(PipelineVrrp, OtherL2DestinationsAreNotOurs) {
    // The VMAC of an instance that is not MASTER here (or has no use_vmac).
    bytes f = build(ping({.eth_dst = vmac51, .dst = vip51a}));
    EXPECT_EQ(describe(process(f, 0, ctx)), "drop(eth_dst_not_ours)");
    // The VMAC on a port that has none.
    bytes g = build(ping({.eth_dst = vmac52, .dst = port_ip}));
    EXPECT_EQ(describe(process(g, 1, ctx)), "drop(eth_dst_not_ours)");
    // TCP to the VIP through its VMAC gets past L2 (no service yet).
    bytes t = build([](std::span<std::uint8_t> out) {
        return build_tcp_frame(out, {.dst = vmac52, .src = peer_mac},
                               {.src = client_ip, .dst = vip52},
                               {.src_port = 40000, .dst_port = 80, .flags = tcp_flag_syn});
    });
    EXPECT_EQ(describe(process(t, 0, ctx)), "drop(no_service)");
}

// ------------------------------------------------------ mutated adverts --

TEST(PipelineVrrp, MutatedAdvertsKeepEveryInvariant) {
    std::vector<bytes> seeds;
    for (const auto& a : valid_adverts()) {
        seeds.push_back(build(a.build));
    }
    seeds.push_back(build(vrrp_frame(golden_v2)));
    seeds.push_back(build(arp_request_for(vip52)));
    seeds.push_back(build(ping({.eth_dst = vmac52, .dst = vip52})));
    const std::set<std::uint8_t> slots{slot51, slot52, slot60, slot61};

    std::mt19937 rng(5798);
    int punts = 0;
    int rejects = 0;
    int replies = 0;
    for (int iter = 0; iter < 100000 && !HasFailure(); ++iter) {
        bytes f = seeds[rng() % seeds.size()];
        const int flips = static_cast<int>(rng() % 4);
        for (int i = 0; i < flips; ++i) {
            f[rng() % f.size()] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
        }
        if (rng() % 4 == 0) {
            f.resize(rng() % (f.size() + 1));
        }
        f.shrink_to_fit();
        const bytes before = f;
        const verdict v = process(f, 0, ctx);
        ASSERT_EQ(f.size(), before.size());
        switch (v.act) {
        case action::drop:
            ASSERT_NE(v.reason, drop_reason::none);
            ASSERT_EQ(f, before);
            if (v.reason == drop_reason::vrrp_rejected) {
                ++rejects;
                ASSERT_GT(v.detail, 0u);
                ASSERT_LT(v.detail, vrrp::reject_reason_count);
                const auto r = static_cast<reject_reason>(v.detail);
                if (r == reject_reason::too_short || r == reject_reason::unknown_vrid) {
                    ASSERT_EQ(v.slot, none);
                } else {
                    ASSERT_TRUE(slots.contains(v.slot)) << describe(v);
                }
            } else {
                ASSERT_EQ(v.slot, none);
            }
            break;
        case action::punt: {
            ASSERT_EQ(f, before);
            packet_meta m;
            ASSERT_EQ(parse(f, m), drop_reason::none);
            if (v.punt == punt_kind::vrrp) {
                ++punts;
                ASSERT_EQ(m.ip_proto, ip_proto_vrrp);
                ASSERT_TRUE(slots.contains(v.slot)) << describe(v);
                // What the control core will decode: a valid advert.
                vrrp::advert a;
                const auto msg = std::span<const std::uint8_t>(f).subspan(m.l4_offset, m.l4_len);
                ASSERT_TRUE(vrrp::decode(msg, m.src, m.dst, {.check_ttl = false}, a).ok());
            } else {
                ASSERT_EQ(v.punt, punt_kind::arp);
            }
            break;
        }
        case action::reply: {
            ++replies;
            packet_meta m;
            ASSERT_EQ(parse(f, m), drop_reason::none);
            const mac_addr src = eth_cview(f).src();
            ASSERT_TRUE(src == port_mac || src == vmac52);
            break;
        }
        case action::forward:
        case action::handoff:
            FAIL() << "no load balancing configured, yet " << describe(v);
        }
    }
    EXPECT_GT(punts, 1000);
    EXPECT_GT(rejects, 1000);
    EXPECT_GT(replies, 100);
}

} // namespace
} // namespace vipgate::pipeline
