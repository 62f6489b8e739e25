#pragma once
// Helpers shared by the pipeline tests: gtest printers, verdict formatting
// and exact-size frame buffers built with lib/net's builders.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "net/checksum.hpp"
#include "net/headers.hpp"
#include "net/types.hpp"
#include "pipeline/pipeline.hpp"
#include "vrrp/reject_reason.hpp"

namespace vipgate::pipeline {
inline void PrintTo(drop_reason r, std::ostream* os) {
    *os << drop_reason_name(r);
}
} // namespace vipgate::pipeline

namespace vipgate::net {
inline void PrintTo(const mac_addr& m, std::ostream* os) {
    *os << m.to_string();
}
inline void PrintTo(const ipv4_addr& a, std::ostream* os) {
    *os << a.to_string();
}
} // namespace vipgate::net

namespace vipgate::pipeline::test {

using bytes = std::vector<std::uint8_t>;
using builder_fn = std::function<std::size_t(std::span<std::uint8_t>)>;

inline std::string slot_name(std::uint8_t slot) {
    return slot == no_vrrp_slot ? "-" : std::to_string(slot);
}

// "reply", "punt(arp)", "punt(vrrp@3)", "drop(ipv4_bad_src)",
// "drop(vrrp_rejected:bad_ttl@3)" (slot "-" for no_vrrp_slot). Detail and
// slot are printed where they are meaningful, so comparing two descriptions
// compares them too.
inline std::string describe(const verdict& v) {
    switch (v.act) {
    case action::drop:
        if (v.reason == drop_reason::vrrp_rejected) {
            return "drop(vrrp_rejected:" +
                   std::string(
                       vrrp::reject_reason_name(static_cast<vrrp::reject_reason>(v.detail))) +
                   "@" + slot_name(v.slot) + ")";
        }
        return std::string("drop(") + drop_reason_name(v.reason) + ")";
    case action::reply:
        return "reply";
    case action::punt:
        switch (v.punt) {
        case punt_kind::arp:
            return "punt(arp)";
        case punt_kind::vrrp:
            return "punt(vrrp@" + slot_name(v.slot) + ")";
        case punt_kind::probe:
            return "punt(probe)";
        case punt_kind::sync:
            return "punt(sync)";
        case punt_kind::none:
            return "punt(none)";
        }
        return "punt(invalid)";
    case action::forward:
        return "forward(port " + std::to_string(v.out_port) + ")";
    case action::handoff:
        return "handoff(worker " + std::to_string(v.worker) + ")";
    }
    return "invalid";
}

// Runs the builder into a large buffer and returns exactly the bytes written:
// ASan then sees any access past the end of the frame.
inline bytes build(const builder_fn& f) {
    bytes b(2048);
    const std::size_t n = f(b);
    EXPECT_NE(n, 0u) << "builder failed";
    b.resize(n);
    b.shrink_to_fit();
    return b;
}

inline void fix_ip_checksum(bytes& f, std::size_t l3 = net::eth_header_len) {
    const std::size_t hlen = std::size_t{f[l3] & 0x0fu} * 4;
    const auto hdr = std::span(f).subspan(l3, hlen);
    net::ipv4_view(hdr).set_checksum(net::ipv4_header_checksum(hdr));
}

} // namespace vipgate::pipeline::test
