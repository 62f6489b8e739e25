#include "lb/quorum.hpp"

namespace vipgate::lb {

std::string_view quorum_change_name(quorum_change c) noexcept {
    switch (c) {
    case quorum_change::gained:
        return "gained";
    case quorum_change::lost:
        return "lost";
    case quorum_change::none:
        break;
    }
    return "none";
}

quorum_step next_quorum(bool up, std::uint64_t live_weight, const quorum_rule& rule, bool first,
                        bool has_sorry_server) noexcept {
    const auto q = static_cast<std::int64_t>(rule.quorum);
    const auto h = static_cast<std::int64_t>(rule.hysteresis);
    // Live weights are sums of 31-bit weights over at most 4096 servers:
    // far below 2^62, so the signed comparison is exact.
    const auto live = static_cast<std::int64_t>(live_weight);
    quorum_step s{up, quorum_change::none, up ? q - h : q + h};
    if (!up) {
        // ipwrapper.c: gained when the live weight reaches quorum + hysteresis.
        if (live >= s.threshold) {
            s.up = true;
            s.change = quorum_change::gained;
        } else if (first && has_sorry_server) {
            // "Starting with quorum down": the sorry server takes over.
            s.change = quorum_change::lost;
        }
        return s;
    }
    // Lost when no live weight is left or it is below quorum - hysteresis.
    if (live == 0 || live < s.threshold) {
        s.up = false;
        s.change = quorum_change::lost;
    }
    return s;
}

} // namespace vipgate::lb
