#pragma once
// Helpers shared by the VRRP unit tests: a fake clock and action formatting.

#include "vrrp/instance.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace vipgate::vrrp {
// gtest finds this through ADL (protocol_clock is a template argument).
inline void PrintTo(const time_point& t, std::ostream* os) {
    *os << t.time_since_epoch().count() << "us";
}
} // namespace vipgate::vrrp

namespace vipgate::vrrp::test {

using namespace std::chrono_literals;
using net::ipv4_addr;

// The fake clock: microseconds since an arbitrary epoch.
inline constexpr time_point t0{};
inline constexpr time_point at(microseconds d) {
    return t0 + d;
}

inline std::string describe(const action& a) {
    struct visitor {
        std::string operator()(const send_advert& x) const {
            return "advert(" + std::to_string(x.priority) + ")";
        }
        std::string operator()(const send_garps& x) const {
            return "garps(" + std::to_string(x.count) + ")";
        }
        std::string operator()(const take_vips&) const { return "take"; }
        std::string operator()(const release_vips&) const { return "release"; }
        std::string operator()(const notify& x) const {
            return "notify(" + std::string(state_name(x.from)) + "->" +
                   std::string(state_name(x.to)) + ")";
        }
        std::string operator()(const log_message&) const { return "log"; }
    };
    return std::visit(visitor{}, a);
}

// "advert(100), take, garps(5), notify(backup->master)"
inline std::string describe(const std::vector<action>& acts) {
    std::string s;
    for (const auto& a : acts) {
        s += (s.empty() ? "" : ", ") + describe(a);
    }
    return s;
}

// Reason of the last notify, "" if none.
inline std::string notify_reason(const std::vector<action>& acts) {
    std::string r;
    for (const auto& a : acts) {
        if (auto* n = std::get_if<notify>(&a)) {
            r = n->reason;
        }
    }
    return r;
}

inline std::string log_text(const std::vector<action>& acts) {
    std::string r;
    for (const auto& a : acts) {
        if (auto* n = std::get_if<log_message>(&a)) {
            r += n->text + "\n";
        }
    }
    return r;
}

inline instance make_instance(const instance_config& cfg) {
    auto r = instance::make(cfg);
    if (!r.ok()) {
        ADD_FAILURE() << r.message();
    }
    return std::move(r).value();
}

// VI_1: VRID 51, v2, 1 s, one VIP, our address 10.99.0.2.
inline instance_config v2_config(std::uint8_t priority = 100) {
    instance_config c;
    c.name = "VI_1";
    c.vrid = 51;
    c.priority = priority;
    c.virtual_addresses = {ipv4_addr{10, 99, 0, 100}};
    c.primary_address = ipv4_addr{10, 99, 0, 2};
    return c;
}

inline instance_config v3_config(std::uint8_t priority = 100, microseconds adv = 1s) {
    instance_config c = v2_config(priority);
    c.version = 3;
    c.advert_int = adv;
    return c;
}

// An advert as a peer with the same configuration would send it.
inline advert peer_advert(const instance& i, std::uint8_t priority) {
    return i.make_advert(priority);
}

} // namespace vipgate::vrrp::test
