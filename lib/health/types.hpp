#pragma once
// Vocabulary of the health-check engine (keepalived's TCP_CHECK, done with
// SYN probes the control core sends through the dataplane). Pure: no DPDK,
// no I/O, no clock is read; every call takes `now`.

#include <chrono>
#include <cstdint>
#include <string>

#include "net/types.hpp"

namespace vipgate::health {

// Monotonic time since an arbitrary epoch (the control core derives it from
// its clock, tests start at zero), and every duration of the engine.
using usec = std::chrono::microseconds;

// How one probe ended.
enum class outcome : std::uint8_t {
    alive,    // SYN-ACK acknowledging our ISN (keepalived: connect_success)
    refused,  // RST+ACK acknowledging our ISN (connect() fails with ECONNREFUSED)
    timeout,  // nothing acceptable within connect_timeout (keepalived: connect_timeout)
    no_route, // the caller could not send: neighbour (ARP) resolution failed
};
inline constexpr std::size_t outcome_count = 4;
const char* outcome_name(outcome o) noexcept; // "alive", "refused", "timeout", "no_route"

// A checker's verdict on its real server (keepalived: checker->is_up).
enum class state : std::uint8_t { up, down };
const char* state_name(state s) noexcept; // "UP" / "DOWN"

// Where a probe goes: the real server, or TCP_CHECK's connect_ip/connect_port.
struct endpoint {
    net::ipv4_addr ip;
    std::uint16_t port = 0;
    friend constexpr bool operator==(const endpoint&, const endpoint&) = default;
};

// keepalived's FMT_CHK spelling of a TCP service: "[10.0.0.2]:tcp:80".
std::string format_endpoint(const endpoint& e);

} // namespace vipgate::health
