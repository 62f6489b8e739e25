// libFuzzer harness: the VRRP advert decoder, vrrp::decode(), and the
// instance checks, vrrp::check_advert(), against the four instances of the
// pipeline fuzzer's gateway (v2 PASS multicast, v3 use_vmac multicast, v3
// unicast, v2 unicast with check_unicast_src).
//
// Input: [options:1][ttl:1][source:1] then the VRRP message (no IP header).
//   options bits 0-1: expected version (0 = any, 1 -> 2, 2 -> 3, 3 = any);
//   bit 2: skip the TTL check (unicast instance); bits 3-4: IP destination
//   (224.0.0.18, the port address, another unicast address, 0.0.0.0).
//   source: 0 the keepalived peer 10.99.0.1, 1 172.16.0.2, 2 10.99.0.3,
//   else 10.99.0.<byte>.
//
// Checks beyond the sanitizers: an accepted advert has the exact length for
// its address count and version, a v3 interval in 1..4095 cs, auth fields
// only for v2; encode() of it decodes again to the same advert (auth data
// aside when the auth type is 0: zero on send, ignored on receive,
// RFC 3768 §5.3.10); check_advert() returns a reason from the table.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "pipeline_context.hpp"
#include "vrrp/advert.hpp"
#include "vrrp/config.hpp"
#include "vrrp/reject_reason.hpp"

namespace {

using namespace vipgate;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "fuzz_vrrp_advert: invariant violated: %s\n", what);
    std::abort();
}

bool same_advert(const vrrp::advert& a, const vrrp::advert& b) {
    if (a.auth_type == vrrp::auth_type_none && b.auth_type == vrrp::auth_type_none) {
        vrrp::advert x = a;
        vrrp::advert y = b;
        x.auth_data = {};
        y.auth_data = {};
        return x == y;
    }
    return a == b;
}

const fuzz::gateway& gw() {
    static const fuzz::gateway g;
    return g;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) {
        return 0;
    }
    const std::uint8_t opt = data[0];
    static constexpr std::uint8_t versions[4] = {0, 2, 3, 0};
    const net::ipv4_addr dsts[4] = {vrrp::multicast_group, fuzz::ext_ip, fuzz::int_ip,
                                    net::ipv4_addr{}};
    net::ipv4_addr src;
    switch (data[2]) {
    case 0:
        src = fuzz::peer_ip;
        break;
    case 1:
        src = fuzz::int_peer_ip;
        break;
    case 2:
        src = net::ipv4_addr{10, 99, 0, 3};
        break;
    default:
        src = net::ipv4_addr{10, 99, 0, data[2]};
        break;
    }
    const net::ipv4_addr dst = dsts[(opt >> 3) & 3];
    const vrrp::decode_options opts{
        .expected_version = versions[opt & 3], .ip_ttl = data[1], .check_ttl = (opt & 4) == 0};
    // An exact-size heap copy: ASan sees any read past the message.
    const std::vector<std::uint8_t> msg(data + 3, data + size);

    vrrp::advert adv;
    const vrrp::decode_result d = vrrp::decode(msg, src, dst, opts, adv);
    if (static_cast<std::size_t>(d.reason) >= vrrp::reject_reason_count) {
        fail("decode returned a reason outside the table");
    }
    if (!d.ok()) {
        return 0;
    }
    if (msg.size() != vrrp::encoded_size(adv) || adv.addresses.size() != msg[3]) {
        fail("accepted advert's length does not match its address count");
    }
    if (adv.version() != (msg[0] >> 4)) {
        fail("decoded version differs from the header");
    }
    if (adv.version() == 3) {
        const auto cs = std::get<vrrp::v3_advert_int>(adv.interval).centiseconds();
        if (cs == 0 || cs > vrrp::v3_advert_int::max_centiseconds) {
            fail("v3 interval outside 1..4095 cs accepted");
        }
        if (adv.auth_type != vrrp::auth_type_none) {
            fail("v3 advert with an auth type");
        }
    }

    // Round trip: what we would send for this advert is read back the same.
    std::uint8_t buf[vrrp::max_message_size];
    const std::size_t n = vrrp::encode(adv, src, dst, buf, d.form);
    if (n != msg.size()) {
        fail("encode() size differs from the decoded message");
    }
    vrrp::advert again;
    const vrrp::decode_result d2 =
        vrrp::decode(std::span<const std::uint8_t>(buf, n), src, dst, opts, again);
    if (!d2.ok()) {
        fail("encode(decode(x)) does not decode");
    }
    if (!same_advert(adv, again)) {
        fail("encode(decode(x)) decodes to a different advert");
    }

    for (const auto& instance : gw().vrrp_cfg) {
        const vrrp::instance_config& cfg = *instance;
        const vrrp::reject_reason r = vrrp::check_advert(adv, cfg, src, dst);
        if (static_cast<std::size_t>(r) >= vrrp::reject_reason_count) {
            fail("check_advert returned a reason outside the table");
        }
        if (r == vrrp::reject_reason::none) {
            if (adv.version() != cfg.version) {
                fail("check_advert accepted another version");
            }
            if (adv.addresses.size() != cfg.virtual_addresses.size()) {
                fail("check_advert accepted another address count");
            }
            for (const auto vip : cfg.virtual_addresses) {
                if (!adv.addresses.contains(vip)) {
                    fail("check_advert accepted an advert missing a VIP");
                }
            }
        }
    }
    return 0;
}
