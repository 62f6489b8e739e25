#pragma once
// Time and interval units of the VRRP implementation. Pure: no clocks are read.
//
// One type per protocol quantity so that a unit mix-up is a compile error:
//  * the state machine runs on std::chrono::microseconds (keepalived computes
//    every VRRP timer in microseconds, vrrp.h TIMER_HZ);
//  * the v2 Advertisement Interval is 8 bits of whole seconds (RFC 3768 §5.3.7);
//  * the v3 Max Advertise Interval is 12 bits of centiseconds (RFC 5798 §5.2.7).
// Conversions between them are explicit member functions.

#include <chrono>
#include <cstdint>
#include <optional>
#include <ratio>

namespace vipgate::vrrp {

using std::chrono::microseconds;
using centiseconds = std::chrono::duration<std::int64_t, std::centi>;

// A clock that is never read: the caller passes `now` into every input. Its
// epoch is arbitrary (the DPDK shell uses the TSC, tests start at zero).
struct protocol_clock {
    using rep = std::int64_t;
    using period = std::micro;
    using duration = microseconds;
    using time_point = std::chrono::time_point<protocol_clock>;
    static constexpr bool is_steady = true;
};
using time_point = protocol_clock::time_point;

// v2 Adver Int: whole seconds, 1..255 on the wire (RFC 3768 §5.3.7).
class v2_advert_int {
  public:
    constexpr v2_advert_int() = default;
    constexpr explicit v2_advert_int(std::uint8_t seconds) : seconds_(seconds) {}

    constexpr std::uint8_t seconds() const { return seconds_; }
    constexpr microseconds to_duration() const { return std::chrono::seconds{seconds_}; }
    // Exact conversion only: whole seconds in 1..255.
    static constexpr std::optional<v2_advert_int> from_duration(microseconds d) {
        if (d.count() % 1'000'000 != 0 || d < std::chrono::seconds{1} ||
            d > std::chrono::seconds{255}) {
            return std::nullopt;
        }
        return v2_advert_int{static_cast<std::uint8_t>(d.count() / 1'000'000)};
    }
    friend constexpr bool operator==(v2_advert_int, v2_advert_int) = default;

  private:
    std::uint8_t seconds_ = 1;
};

// v3 Max Adver Int: 12-bit centiseconds, 1..4095 meaningful (RFC 5798 §5.2.7).
class v3_advert_int {
  public:
    static constexpr std::uint16_t max_centiseconds = 0x0fff;

    constexpr v3_advert_int() = default;
    // The value is masked to 12 bits: the top 4 bits of the wire field are the
    // reserved bits (RFC 5798 §5.2.6).
    constexpr explicit v3_advert_int(std::uint16_t cs)
        : centiseconds_(static_cast<std::uint16_t>(cs & max_centiseconds)) {}

    constexpr std::uint16_t centiseconds() const { return centiseconds_; }
    constexpr microseconds to_duration() const { return vrrp::centiseconds{centiseconds_}; }
    // Exact conversion only: whole centiseconds in 1..4095.
    static constexpr std::optional<v3_advert_int> from_duration(microseconds d) {
        if (d.count() % 10'000 != 0 || d < vrrp::centiseconds{1} ||
            d > vrrp::centiseconds{max_centiseconds}) {
            return std::nullopt;
        }
        return v3_advert_int{static_cast<std::uint16_t>(d.count() / 10'000)};
    }
    friend constexpr bool operator==(v3_advert_int, v3_advert_int) = default;

  private:
    std::uint16_t centiseconds_ = 100;
};

} // namespace vipgate::vrrp
