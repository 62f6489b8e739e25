// control_plane: live reload (docs/operations.md, "Reload").
#include <spdlog/spdlog.h>

#include "control/control_plane.hpp"

namespace vipgate::control {

// docs/operations.md: what a reload cannot change (fixed at start).
std::vector<std::string> control_plane::restart_reasons(const config::config& next) const {
    std::vector<std::string> restart;
    if (next.ports.size() != cfg_.ports.size()) {
        restart.push_back("the number of ports changed");
    } else {
        for (std::size_t i = 0; i < next.ports.size(); ++i) {
            const auto& a = cfg_.ports[i];
            const auto& b = next.ports[i];
            if (a.name != b.name || a.device != b.device || !(a.address == b.address)) {
                restart.push_back("port " + a.name + " changed (name, device or address)");
            }
        }
    }
    if (!(next.dataplane == cfg_.dataplane)) {
        restart.push_back("dataplane settings changed");
    }
    if (!(next.load_balancing == cfg_.load_balancing)) {
        restart.push_back("load_balancing settings changed (flow tables are sized at start)");
    }
    if (!next.virtual_servers.empty() && !sh_.lb_enabled()) {
        restart.push_back(
            "virtual servers added to a gateway started without any (no flow tables)");
    }
    // The sync session (node, epoch, peers, key) and the workers' sync
    // rings are made at start.
    const auto& sa = cfg_.sync;
    const auto& sb = next.sync;
    if (sa.has_value() != sb.has_value() ||
        (sa && (sa->port != sb->port || sa->group != sb->group || sa->peers != sb->peers ||
                sa->udp_port != sb->udp_port || sa->id != sb->id || sa->key != sb->key ||
                sa->instance != sb->instance || sa->flush_interval != sb->flush_interval ||
                sa->bulk_rate != sb->bulk_rate || sa->resync_timeout != sb->resync_timeout))) {
        restart.push_back("sync settings changed");
    }
    if (next.neighbours.max_entries != cfg_.neighbours.max_entries ||
        next.neighbours.reachable_time_s != cfg_.neighbours.reachable_time_s ||
        next.neighbours.retry_interval_ms != cfg_.neighbours.retry_interval_ms ||
        next.neighbours.retries != cfg_.neighbours.retries) {
        restart.push_back("neighbours settings changed");
    }
    return restart;
}

result<std::string> control_plane::reload_from_source() {
    if (!config_loader) {
        return make_error("no configuration source to reload from");
    }
    spdlog::info("reload: reading the configuration again");
    auto next = config_loader();
    if (!next) {
        ++reloads_failed_;
        spdlog::error("reload refused, the running configuration stays:\n{}", next.message());
        return make_error("reload refused, the running configuration stays:\n" + next.message());
    }
    for (const auto& w : next->warnings) {
        spdlog::warn("{}", w);
    }
    auto r = reload(*next);
    if (!r) {
        ++reloads_failed_;
        spdlog::error("reload refused, the running configuration stays: {}", r.message());
        return r;
    }
    ++reloads_;
    spdlog::info("reload done: {}", *r);
    return r;
}

result<std::string> control_plane::reload(const config::config& next) {
    // 1. What only a restart can change.
    std::vector<std::string> restart = restart_reasons(next);
    if (!restart.empty()) {
        std::string msg = "needs a restart: ";
        for (std::size_t i = 0; i < restart.size(); ++i) {
            msg += (i ? "; " : "") + restart[i];
        }
        return make_error(msg);
    }
    // 2. Build everything new before touching anything running.
    auto vm = vrrp_manager::make(next, sh_.ports(), *this, nullptr);
    if (!vm) {
        return make_error("vrrp: " + vm.message());
    }
    std::unique_ptr<lb_manager> lm;
    if (!next.virtual_servers.empty() || lb_) {
        auto l = lb_manager::make(next, now());
        if (!l) {
            return make_error("virtual servers: " + l.message());
        }
        lm = std::move(l.value());
    }
    for (const auto& sn : next.neighbours.static_entries) {
        if (port_index(sn.port) == 0xffff) {
            return make_error("static neighbour " + sn.address.to_string() + ": no port " +
                              sn.port);
        }
    }

    // 3. Apply.
    usec t = now();
    std::string summary = "vrrp: " + vrrp_->adopt(t, *vm.value(), link_up_, sh_);
    auto rs_notes = rs_notify_before_reload(next); // with the scripts still running
    if (script_manager::signature(next) != script_manager::signature(cfg_)) {
        if (auto sc = start_scripts(next, nullptr); !sc) {
            spdlog::error("reload: {}", sc.message());
        }
    } else if (scripts_) {
        vrrp_->apply_all_tracking(t, *scripts_); // instances the reload rebuilt
    }
    if (preempt_held_) {
        // An instance the reload rebuilt starts without the start-up hold:
        // it stays until the bulk resync ends or resync_timeout (issue 11).
        vrrp_->hold_preemption(true, sync_->config().instance);
    }
    if (lm) {
        if (lb_) {
            summary += "; " + lb_->adopt(*lm, t);
        } else {
            lb_ = std::move(lm);
            summary += "; virtual servers added";
        }
        if (auto r = lb_->rebuild(); !r) {
            spdlog::error("reload: service table: {}", r.message());
        }
        run_quorum_scripts();
    }
    rs_notify_after_reload(next, std::move(rs_notes));
    for (const auto& sn : next.neighbours.static_entries) {
        neigh_.table().add_static(port_index(sn.port), sn.address, sn.mac);
    }
    cfg_ = next;
    // Checkers restart with the new settings; a server that was DOWN starts
    // DOWN (alpha) so one success brings it back, as before the reload.
    checked_.clear();
    health_.reset();
    start_health_checks();
    // A MISC_CHECK whose service, real server, command and settings did not
    // change keeps running (state, schedule, a run in flight); another one
    // restarts as above (a run still going is left to the runner, its
    // result dropped).
    start_misc_checks(nullptr);
    resolve_next_hops();
    snapshot_dirty_ = true;
    publish_if_dirty();
    return summary;
}

} // namespace vipgate::control
