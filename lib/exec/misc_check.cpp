#include "exec/misc_check.hpp"

namespace vipgate::exec {

misc_verdict interpret_misc(const exit_status& st, bool misc_dynamic) {
    if (succeeded(st)) {
        return {true, std::nullopt, "succeeded"};
    }
    if (misc_dynamic && st.kind == end_kind::exited && st.code >= 2 && st.code <= 255) {
        return {true, static_cast<std::uint32_t>(st.code - 2), "succeeded"};
    }
    return {false, std::nullopt, describe(st)};
}

result<void> validate(const misc_check_config& cfg) {
    if (cfg.cmd.argv.empty() || cfg.cmd.argv[0].empty()) {
        return make_error("No script path has been specified for MISC_CHECKER");
    }
    if (cfg.delay_loop <= usec{0}) {
        return make_error("delay_loop must be positive");
    }
    if (cfg.delay_before_retry < usec{0} || cfg.warmup < usec{0} ||
        (cfg.misc_timeout && *cfg.misc_timeout < usec{0})) {
        return make_error("MISC_CHECK durations must not be negative");
    }
    return {};
}

misc_checker::misc_checker(runner& r, misc_check_config cfg, usec start)
    : runner_(r), cfg_(std::move(cfg)), up_(!cfg_.alpha), next_run_(start + cfg_.warmup) {}

std::optional<misc_step> misc_checker::tick(usec now) {
    if (running_ || now < next_run_) {
        return std::nullopt;
    }
    command cmd = cfg_.cmd;
    const bool has_timeout = cfg_.misc_timeout && *cfg_.misc_timeout > usec{0};
    cmd.timeout = has_timeout ? *cfg_.misc_timeout : cfg_.delay_loop;
    last_ran_ = now;
    auto h = runner_.start(cmd, now);
    if (!h) {
        return complete({end_kind::spawn_failed, 0});
    }
    running_ = *h;
    return std::nullopt;
}

std::optional<misc_step> misc_checker::on_finished(const finished& f) {
    if (running_ != f.id) {
        return std::nullopt;
    }
    running_.reset();
    return complete(f.status);
}

// misc_check_child_thread(): retries only count while UP (or before the
// first result); a failure after them takes the server DOWN and drops its
// dynamic weight; a success brings it UP and sets the dynamic weight.
misc_step misc_checker::complete(const exit_status& st) {
    misc_step step;
    last_ = st;
    const misc_verdict v = interpret_misc(st, cfg_.dynamic);
    const bool first = !has_run_;
    has_run_ = true;
    if (v.up) {
        step.weight_changed = v.weight != weight_;
        weight_ = v.weight;
        retry_it_ = 0;
        if (!up_ || first) {
            step.reason = message(v);
        }
    } else if (up_ || first) {
        if (retry_it_ < cfg_.retry) {
            ++retry_it_;
        } else {
            retry_it_ = 0;
            step.weight_changed = weight_.has_value();
            weight_.reset();
            step.reason = message(v);
        }
    }
    const bool now_up = step.reason.empty() ? up_ : v.up;
    if (now_up != up_) {
        up_ = now_up;
        step.became_up = now_up;
    }
    next_run_ = last_ran_ + (retry_it_ ? cfg_.delay_before_retry : cfg_.delay_loop);
    return step;
}

// keepalived: "Misc check for [RS VS VS] by [path] failed after 1 retry
// (exited with status 1)."; the caller knows the servers and adds them.
std::string misc_checker::message(const misc_verdict& v) const {
    std::string text = "Misc check by [" + cfg_.cmd.argv[0] + "] ";
    if (v.up) {
        return text + "succeeded.";
    }
    const bool timed_out = last_ && last_->kind == end_kind::timed_out;
    text += timed_out ? "timed out" : "failed";
    if (cfg_.retry == 0) {
        text += " with retry disabled";
    } else {
        text += " after " + std::to_string(cfg_.retry) + (cfg_.retry == 1 ? " retry" : " retries");
    }
    return text + (timed_out ? "." : " (" + v.reason + ").");
}

} // namespace vipgate::exec
