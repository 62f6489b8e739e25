#pragma once
// VRRP timer formulas, exactly as keepalived 2.2.7 computes them in
// microseconds (include/vrrp.h:433-436, VRRP_TIMER_SKEW_CALC and
// VRRP_MS_DOWN_TIMER), which follow RFC 3768 §6.1 and RFC 5798 §6.1 with
// integer truncation.

#include "vrrp/units.hpp"

#include <cstdint>

namespace vipgate::vrrp {

// Adverts missed before a Backup declares the Master down (RFC 5798 §6.1;
// keepalived's down_timer_adverts default).
inline constexpr std::int64_t down_timer_adverts = 3;

// Skew_Time.
//  v2 (RFC 3768 §6.1): (256 - Priority) / 256 seconds, independent of the
//      advert interval: (256 - p) * 1'000'000 / 256 us.
//  v3 (RFC 5798 §6.1): ((256 - Priority) * Master_Adver_Interval) / 256 with
//      the interval in centiseconds: keepalived reduces it to
//      (256 - p) * cs * 625 / 16 us (625 / 16 == 10'000 / 256), with the
//      interval first truncated to whole centiseconds.
constexpr microseconds skew_time(std::uint8_t version, std::uint8_t priority,
                                 microseconds master_adver_int) noexcept {
    const std::int64_t weight = 256 - std::int64_t{priority};
    if (version == 3) {
        const std::int64_t cs = master_adver_int.count() / 10'000;
        return microseconds{weight * cs * 625 / 16};
    }
    return microseconds{weight * 1'000'000 / 256};
}

// Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time
// (RFC 3768 §6.1, RFC 5798 §6.1).
constexpr microseconds master_down_interval(std::uint8_t version, std::uint8_t priority,
                                            microseconds master_adver_int) noexcept {
    return down_timer_adverts * master_adver_int + skew_time(version, priority, master_adver_int);
}

} // namespace vipgate::vrrp
