#include "health/checker.hpp"

namespace vipgate::health {

const char* outcome_name(outcome o) noexcept {
    switch (o) {
    case outcome::alive:
        return "alive";
    case outcome::refused:
        return "refused";
    case outcome::timeout:
        return "timeout";
    case outcome::no_route:
        return "no_route";
    }
    return "?";
}

const char* state_name(state s) noexcept {
    switch (s) {
    case state::up:
        return "UP";
    case state::down:
        return "DOWN";
    }
    return "?";
}

std::string format_endpoint(const endpoint& e) {
    // Appended piece by piece: `"[" + std::string&&` inserts at the front,
    // which GCC 12 at -O3 reports as a false -Wrestrict overlap.
    std::string s = "[";
    s += e.ip.to_string();
    s += "]:tcp:";
    s += std::to_string(e.port);
    return s;
}

result<void> validate(const checker_config& cfg) {
    if (cfg.delay_loop <= usec{0}) {
        return make_error("delay_loop must be positive");
    }
    if (cfg.connect_timeout <= usec{0}) {
        return make_error("connect_timeout must be positive");
    }
    if (cfg.delay_before_retry < usec{0}) {
        return make_error("delay_before_retry must not be negative");
    }
    if (cfg.warmup < usec{0}) {
        return make_error("warmup must not be negative");
    }
    if (cfg.target.port == 0) {
        return make_error("the probe's destination port must not be 0");
    }
    return {};
}

namespace {

// The per-probe line keepalived logs (check_tcp.c tcp_check_thread(); its
// "failed." is split here into refused and no_route).
std::string probe_message(const endpoint& target, outcome o) {
    std::string s = "TCP connection to " + format_endpoint(target);
    switch (o) {
    case outcome::alive:
        return s + " success.";
    case outcome::refused:
        return s + " refused.";
    case outcome::timeout:
        return s + " timed out.";
    case outcome::no_route:
        return s + " failed: neighbour unresolved.";
    }
    return s + " failed.";
}

} // namespace

checker::checker(const checker_config& cfg, usec start)
    : cfg_(cfg), up_(!cfg.alpha),
      // check_data.c: "For non alpha mode, one failure is enough initially":
      // a server that is UP before anything was checked goes DOWN on the
      // first failure, not after 1 + retry.
      retry_it_(cfg.alpha ? 0 : cfg.retry), next_probe_(start + cfg.warmup) {}

std::optional<std::uint32_t> checker::outstanding() const {
    if (!pending_) {
        return std::nullopt;
    }
    return last_id_;
}

usec checker::next_deadline() const {
    return pending_ ? sent_at_ + cfg_.connect_timeout : next_probe_;
}

step checker::tick(usec now) {
    step out;
    if (pending_ && now >= sent_at_ + cfg_.connect_timeout) {
        out = complete(sent_at_ + cfg_.connect_timeout, outcome::timeout);
    }
    if (!pending_ && now >= next_probe_) {
        pending_ = true;
        sent_at_ = now;
        ++last_id_;
        if (last_id_ == 0) { // 0 is never a probe id
            last_id_ = 1;
        }
        ++stats_.probes_sent;
        out.send = probe{last_id_, now + cfg_.connect_timeout};
    }
    return out;
}

step checker::on_result(usec now, std::uint32_t probe_id, outcome o) {
    if (!pending_ || probe_id != last_id_) {
        ++stats_.stale_results;
        return {};
    }
    return complete(now, o);
}

bool checker::cancel(usec now, std::uint32_t probe_id) {
    if (!pending_ || probe_id != last_id_) {
        return false;
    }
    pending_ = false;
    --stats_.probes_sent;
    ++stats_.cancelled;
    next_probe_ = now + cfg_.delay_loop;
    return true;
}

// keepalived 2.2 tcp_epilog(): the next check is timed from the end of this
// one; while UP a failure is retried after delay_before_retry until `retry`
// retries have failed too; while DOWN failures are not counted and the
// checker just waits delay_loop; one success brings it UP.
step checker::complete(usec at, outcome o) {
    step out;
    out.completed = last_id_;
    out.result = o;
    pending_ = false;

    const bool success = o == outcome::alive;
    std::string message = probe_message(cfg_.target, o);
    switch (o) {
    case outcome::alive:
        ++stats_.successes;
        break;
    case outcome::refused:
        ++stats_.refused;
        break;
    case outcome::timeout:
        ++stats_.timeouts;
        break;
    case outcome::no_route:
        ++stats_.no_route;
        break;
    }
    stats_.last_check = at;
    stats_.last_result = o;
    consecutive_failures_ = success ? 0 : consecutive_failures_ + 1;

    usec delay = cfg_.delay_loop;
    if (success || ((up_ || !has_run_) && retry_it_ >= cfg_.retry)) {
        retry_it_ = 0;
        if (success && !up_) {
            up_ = true;
            ++stats_.ups;
            out.change = transition{state::down, state::up, at, o, 0, message};
        } else if (!success && up_) {
            up_ = false;
            ++stats_.downs;
            std::string why = message + " TCP_CHECK on service " + format_endpoint(cfg_.target);
            if (cfg_.retry != 0 && has_run_) {
                why += " failed after " + std::to_string(cfg_.retry) + " retries.";
            } else {
                why += " failed.";
            }
            out.change =
                transition{state::up, state::down, at, o, consecutive_failures_, std::move(why)};
        }
    } else if (up_) {
        delay = cfg_.delay_before_retry;
        ++retry_it_;
    }
    has_run_ = true;
    next_probe_ = at + delay;
    stats_.last_reason = std::move(message);
    return out;
}

} // namespace vipgate::health
