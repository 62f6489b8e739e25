// control_plane: keepalived's MISC_CHECK (man keepalived.conf, MISC_CHECK)
// wired to the runner of the scripts and to the virtual servers. lib/exec's
// misc_checker decides (exit status, retries, misc_dynamic); this file
// prepares each command with the rules of every keepalived script (user,
// script security), feeds the checkers the runs that ended, and hands their
// verdicts to lb_manager through the same path as TCP_CHECK's
// (update_rs_health). Nothing here waits for a process.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "control/control_plane.hpp"

namespace vipgate::control {

namespace {

using std::chrono::duration_cast;

// The checker's settings from the loader's (delay_loop, retry, ... already
// inherited); the first run after `warmup`.
exec::misc_check_config misc_settings(const config::misc_check_config& m, exec::command cmd,
                                      bool start_down, usec warmup) {
    exec::misc_check_config c;
    c.cmd = std::move(cmd);
    c.delay_loop = duration_cast<usec>(m.delay_loop);
    if (m.timeout) {
        c.misc_timeout = duration_cast<usec>(*m.timeout);
    }
    c.dynamic = m.dynamic;
    c.retry = m.retry;
    c.delay_before_retry = duration_cast<usec>(m.delay_before_retry);
    c.alpha = start_down;
    c.warmup = warmup;
    return c;
}

// keepalived draws the first run at random up to `warmup`; without one,
// vipgate spreads the checkers over at most a second, as for TCP_CHECK.
usec misc_warmup(const config::misc_check_config& m, std::mt19937& jitter) {
    if (m.warmup) {
        const auto w = duration_cast<usec>(*m.warmup).count();
        return usec(std::uniform_int_distribution<std::int64_t>(0, w)(jitter));
    }
    const auto spread = std::min<usec>(duration_cast<usec>(m.delay_loop), std::chrono::seconds(1));
    return std::chrono::milliseconds(200) +
           usec(std::uniform_int_distribution<std::int64_t>(0, spread.count())(jitter));
}

// To the caller's list when it has one, else to the log (main and reload
// pass none).
void hand_over(const std::vector<std::string>& found, std::vector<std::string>* warnings) {
    for (const auto& text : found) {
        if (warnings != nullptr) {
            warnings->push_back(text);
        } else {
            spdlog::warn("{}", text);
        }
    }
}

// What makes a checker the same across a reload: where it runs and what it
// runs, with which settings (not warmup: a kept checker has warmed up).
std::string misc_key(const std::string& vs, const config::real_server_entry& r,
                     const exec::misc_check_config& c) {
    std::string k = vs + ' ' + r.rs.address.to_string() + ':' + std::to_string(r.rs.port) + '\x1e';
    for (const auto& w : c.cmd.argv) {
        k += w + '\x1f';
    }
    k += c.cmd.user ? std::to_string(c.cmd.user->uid) + ':' + std::to_string(c.cmd.user->gid)
                    : std::string("-");
    for (const usec d : {c.delay_loop, c.misc_timeout.value_or(usec{-1}), c.delay_before_retry}) {
        k += ' ' + std::to_string(d.count());
    }
    return k + ' ' + std::to_string(c.retry) + (c.dynamic ? " d" : " -");
}

} // namespace

control_plane::misc_slot control_plane::misc_slot_for(std::vector<misc_slot>& old, std::string key,
                                                      const exec::misc_check_config& c,
                                                      std::size_t vs, std::size_t rs, bool dynamic,
                                                      std::size_t& kept) {
    for (auto& o : old) {
        if (o.checker && o.key == key) {
            misc_slot same = std::move(o);
            same.vs = vs;
            same.rs = rs;
            ++kept;
            return same;
        }
    }
    // A new or changed checker starts without a misc_dynamic weight.
    lb_->set_dynamic_weight(vs, rs, std::nullopt);
    return {vs, rs, std::make_unique<exec::misc_checker>(*runner_, c, now()), dynamic,
            std::move(key)};
}

// Every MISC_CHECK of every real server (not of draining ones). A script that
// may not run (unknown user, not executable, unsafe with
// enable_script_security) is refused with its reason and the real server is
// checked by its other checkers only, as keepalived disables the checker.
void control_plane::start_misc_checks(std::vector<std::string>* warnings) {
    std::vector<misc_slot> old = std::move(misc_);
    misc_.clear();
    if (!lb_ || !runner_ || !files_) {
        return;
    }
    std::random_device rd;
    std::mt19937 jitter(rd());
    std::vector<std::string> found;
    std::size_t kept = 0;
    auto& services = lb_->services();
    for (std::size_t i = 0; i < services.size(); ++i) {
        const auto& vs = services[i];
        for (std::size_t j = 0; j < vs.rs.size(); ++j) {
            const auto& r = vs.rs[j];
            if (r.draining_since) {
                continue;
            }
            for (const auto& m : r.cfg.misc_checks) {
                const std::string what = m.where.to_string() + ": virtual server " + vs.cfg.name +
                                         ": real server " + r.cfg.rs.address.to_string() +
                                         ": MISC_CHECK";
                auto cmd = script_manager::prepare_command(cfg_.scripts, *files_, m.argv, m.user,
                                                           m.group, what, &found);
                if (!cmd) {
                    found.push_back(cmd.message() + " - disabling");
                    continue;
                }
                auto c = misc_settings(m, std::move(*cmd), !r.healthy, misc_warmup(m, jitter));
                if (auto v = exec::validate(c); !v) {
                    found.push_back(what + ": " + v.message() + " - disabling");
                    continue;
                }
                misc_.push_back(
                    misc_slot_for(old, misc_key(vs.cfg.name, r.cfg, c), c, i, j, m.dynamic, kept));
            }
        }
    }
    hand_over(found, warnings);
    release_unchecked();
    if (!misc_.empty()) {
        spdlog::info("health checks: {} MISC_CHECK checker(s), {} kept running", misc_.size(),
                     kept);
    }
}

// The runs that ended (those the script manager did not claim), then the
// runs that are due.
void control_plane::poll_misc(usec now_us, const std::vector<exec::finished>& done) {
    for (const auto& f : done) {
        for (auto& m : misc_) {
            if (auto st = m.checker->on_finished(f)) {
                apply_misc(m, *st);
                break;
            }
        }
    }
    for (auto& m : misc_) {
        if (auto st = m.checker->tick(now_us)) {
            apply_misc(m, *st); // could not start: a failed run
        }
    }
}

// One completed run: counters and show health's reason, the dynamic weight,
// and a verdict (keepalived's log line as the reason) for the real server.
void control_plane::apply_misc(misc_slot& m, const exec::misc_step& st) {
    const auto& last = m.checker->last();
    if (last) {
        ++m.runs;
        const auto v = exec::interpret_misc(*last, m.dynamic);
        m.successes += v.up ? 1 : 0;
        m.timeouts += last->kind == exec::end_kind::timed_out ? 1 : 0;
        m.reason = exec::succeeded(*last) ? "succeeded" : exec::describe(*last);
        if (auto w = m.checker->dynamic_weight()) {
            m.reason += ": weight " + std::to_string(*w) + " (misc_dynamic)";
        }
    }
    if (!lb_) {
        return;
    }
    if (st.weight_changed) {
        lb_->set_dynamic_weight(m.vs, m.rs, m.checker->dynamic_weight());
    }
    if (!st.reason.empty()) {
        update_rs_health(m.vs, m.rs, m.checker->is_up(), st.reason);
    }
}

// A real server left without any checker (a reload removed its checks, or
// its script was refused) is always up, as one never checked: a DOWN it got
// from a checker that is gone would otherwise stay for good.
void control_plane::release_unchecked() {
    auto& services = lb_->services();
    for (std::size_t i = 0; i < services.size(); ++i) {
        for (std::size_t j = 0; j < services[i].rs.size(); ++j) {
            const auto& r = services[i].rs[j];
            const bool tcp = std::any_of(checked_.begin(), checked_.end(), [&](const auto& c) {
                return c.second == std::pair{i, j};
            });
            if (!r.healthy && !r.draining_since && !tcp && !has_misc(i, j)) {
                set_rs_health(i, j, true, "no check configured");
                snapshot_dirty_ = true;
            }
        }
    }
}

void control_plane::misc_rows(std::vector<health_row>& rows) const {
    if (!lb_) {
        return;
    }
    for (const auto& m : misc_) {
        const auto& vs = lb_->services()[m.vs];
        const auto& rs = vs.rs[m.rs];
        rows.push_back({.virtual_server = vs.cfg.name,
                        .rs_address = rs.cfg.rs.address,
                        .rs_port = rs.cfg.rs.port ? rs.cfg.rs.port : vs.cfg.service.port,
                        .checker = "MISC_CHECK",
                        .up = m.checker->is_up(),
                        .reason = m.reason,
                        .probes = m.runs,
                        .successes = m.successes,
                        .timeouts = m.timeouts});
    }
}

} // namespace vipgate::control
