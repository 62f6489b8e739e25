#pragma once
// What a MISC_CHECK run's end means (man keepalived.conf, MISC_CHECK;
// check_misc.c misc_check_child_thread() in 2.2.7). The checker's schedule
// and retries (delay_loop, retry, delay_before_retry) belong to the health
// engine; this is only the exit-status rule.

#include "exec/types.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace vipgate::exec {

struct misc_verdict {
    bool up = false;
    // misc_dynamic with exit status 2..255: the real server's weight becomes
    // status - 2 (0..253). Unset: the configured weight stands.
    std::optional<std::uint32_t> weight;
    std::string reason; // "exited with status 1", "timed out", ...
    friend bool operator==(const misc_verdict&, const misc_verdict&) = default;
};

// Exit 0: up. Without misc_dynamic any other end is down. With it (keepalived
// 2.x): 1 is down, 2..255 up with weight status - 2. A signal, a timeout or a
// failed start is always down.
misc_verdict interpret_misc(const exit_status& st, bool misc_dynamic);

} // namespace vipgate::exec
