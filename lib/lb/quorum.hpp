#pragma once
// keepalived's virtual_server quorum (man keepalived.conf, virtual_server:
// `quorum`, `hysteresis`, `quorum_up`, `quorum_down`, `sorry_server`;
// keepalived 2.2.7 check/ipwrapper.c update_quorum_state() and
// weigh_live_realservers()): the rule alone, pure, so it is tested by a
// table. lib/control applies it (control::lb_manager) and runs the scripts.
//
//  * live weight: the sum of the weights of the real servers that are alive
//    (health-checked up); a server of weight 0 counts 0.
//  * quorum (default 1) is the live weight the service needs; hysteresis
//    (default 0) dampens flapping: the quorum is gained when the live weight
//    reaches quorum + hysteresis, and lost when it drops below
//    quorum - hysteresis (or to 0).
//  * at start-up the service has no quorum yet: it gains it at once when the
//    live weight is enough; otherwise it is reported lost (quorum_down runs)
//    only when it has a sorry server, as keepalived does (init_service_vs()).
//
// Threads: none (pure).

#include <cstdint>
#include <string_view>

namespace vipgate::lb {

struct quorum_rule {
    std::uint32_t quorum = 1;     // 1..2^32-1 (keepalived: at least 1)
    std::uint32_t hysteresis = 0; // the loader keeps it below quorum, as keepalived
};

enum class quorum_change : std::uint8_t { none, gained, lost };
std::string_view quorum_change_name(quorum_change c) noexcept; // "none" / "gained" / "lost"

struct quorum_step {
    bool up = false;
    quorum_change change = quorum_change::none;
    // What the live weight was compared with: quorum + hysteresis while the
    // quorum is down, quorum - hysteresis while it is up (keepalived's
    // "threshold" in its log lines). Signed: a hysteresis above the quorum
    // (not accepted by the loader) gives a negative one.
    std::int64_t threshold = 0;
};

// The next quorum state of a service whose quorum is `up` (false at
// start-up), given its live weight. `first`: the first evaluation after
// start-up (or after the service was added by a reload), where a service
// with a sorry server that lacks the quorum reports the loss.
quorum_step next_quorum(bool up, std::uint64_t live_weight, const quorum_rule& rule, bool first,
                        bool has_sorry_server) noexcept;

} // namespace vipgate::lb
