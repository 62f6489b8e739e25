#pragma once
// Small text helpers for log and notify reasons (control path only).
// Kept local so lib/vrrp does not depend on lib/net's .cpp files.

#include "net/types.hpp"
#include "vrrp/units.hpp"

#include <cstdio>
#include <string>

namespace vipgate::vrrp::detail {

inline std::string format_ipv4(net::ipv4_addr a) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", (a.value >> 24) & 0xffu, (a.value >> 16) & 0xffu,
                  (a.value >> 8) & 0xffu, a.value & 0xffu);
    return buf;
}

// "3.609375s"
inline std::string format_duration(microseconds d) {
    const long long us = static_cast<long long>(d.count());
    const char* sign = us < 0 ? "-" : "";
    const long long abs = us < 0 ? -us : us;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%lld.%06llds", sign, abs / 1'000'000, abs % 1'000'000);
    return buf;
}

} // namespace vipgate::vrrp::detail
