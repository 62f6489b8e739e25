// control_plane: keepalived's real_server notify_up / notify_down (man
// keepalived.conf, real_server; check/ipwrapper.c do_rs_notifies() in
// keepalived 2.2.7). When a real server's health state changes (every
// checker up: up; one down: down) its script runs with its configured words
// only, through the script manager's notify dispatcher (in order per real
// server, never waited for). As keepalived:
//   * nothing runs at start (real servers start up), unless global_defs
//     rs_init_notifies: then every real server runs notify_up, at start
//     and when a reload adds it (init_service_rs());
//   * a reload runs notify_down for an up real server it removes
//     (clear_diff_rs() -> clear_service_rs()), nothing for one it keeps;
//   * nothing runs at shutdown (keepalived does only with `omega`).
#include <spdlog/spdlog.h>

#include <algorithm>

#include "control/control_plane.hpp"

namespace vipgate::control {

namespace {

std::string rs_who(const lb_manager::vs_state& vs, const lb_manager::rs_state& rs) {
    const std::uint16_t port = rs.cfg.rs.port != 0 ? rs.cfg.rs.port : vs.cfg.service.port;
    return "virtual server " + vs.cfg.name + ": real server " + rs.cfg.rs.address.to_string() +
           ":" + std::to_string(port);
}

bool same_real_server(const config::virtual_server_config& a, const config::real_server_entry& x,
                      const config::virtual_server_config& b, const config::real_server_entry& y) {
    return a.service.vip == b.service.vip && a.service.port == b.service.port &&
           a.service.proto == b.service.proto && x.rs.address == y.rs.address &&
           x.rs.port == y.rs.port;
}

} // namespace

void control_plane::set_rs_health(std::size_t vs, std::size_t rs, bool up,
                                  const std::string& reason) {
    const auto& r = lb_->services()[vs].rs[rs];
    const bool was_up = r.healthy;
    lb_->set_health(vs, rs, up, reason, now());
    if (was_up == up || !scripts_) {
        return;
    }
    const auto& v = lb_->services()[vs];
    const std::string channel = script_manager::rs_channel(v.cfg, r.cfg);
    scripts_->rs_notify(now(), channel, rs_who(v, r), up, scripts_->rs_commands(channel, up));
}

void control_plane::load_rs_notify(const config::config& cfg, std::vector<std::string>* warnings) {
    if (!scripts_ || !files_) {
        return;
    }
    std::vector<std::string> found;
    scripts_->set_rs_notify(cfg, *files_, &found);
    for (const auto& text : found) {
        if (warnings != nullptr) {
            warnings->push_back(text);
        } else {
            spdlog::warn("{}", text);
        }
    }
}

control_plane::rs_reload_notes
control_plane::rs_notify_before_reload(const config::config& next) const {
    rs_reload_notes notes;
    if (!lb_ || !scripts_) {
        return notes;
    }
    for (const auto& v : lb_->services()) {
        for (const auto& r : v.rs) {
            if (r.draining_since) {
                continue; // removed by an earlier reload
            }
            const std::string channel = script_manager::rs_channel(v.cfg, r.cfg);
            notes.before.push_back(channel);
            bool kept = false;
            for (const auto& nv : next.virtual_servers) {
                for (const auto& nr : nv.real_servers) {
                    kept = kept || same_real_server(v.cfg, r.cfg, nv, nr);
                }
            }
            auto cmds = kept || !r.healthy ? std::vector<exec::command>{}
                                           : scripts_->rs_commands(channel, false);
            if (!cmds.empty()) {
                notes.removed.push_back(
                    {channel, rs_who(v, r) + " (removed by the reload)", std::move(cmds)});
            }
        }
    }
    return notes;
}

void control_plane::rs_notify_after_reload(const config::config& next, rs_reload_notes notes) {
    load_rs_notify(next, nullptr);
    if (!scripts_) {
        return;
    }
    for (auto& run : notes.removed) {
        scripts_->rs_notify(now(), run.channel, run.who, false, std::move(run.cmds));
    }
    rs_init_notifies(next, notes.before);
}

void control_plane::rs_init_notifies(const config::config& cfg,
                                     const std::vector<std::string>& known) {
    if (!cfg.scripts.rs_init_notifies || !lb_ || !scripts_) {
        return;
    }
    for (const auto& v : lb_->services()) {
        for (const auto& r : v.rs) {
            const std::string channel = script_manager::rs_channel(v.cfg, r.cfg);
            if (r.draining_since || !r.healthy ||
                std::find(known.begin(), known.end(), channel) != known.end()) {
                continue;
            }
            scripts_->rs_notify(now(), channel, rs_who(v, r) + " (rs_init_notifies)", true,
                                scripts_->rs_commands(channel, true));
        }
    }
}

} // namespace vipgate::control
