#include "control/script_manager.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <spdlog/spdlog.h>

namespace vipgate::control {

namespace {

// keepalived's `user USER [GROUP]`: the user's uid and primary gid, or the
// named group's gid.
result<exec::user_id> resolve_user(const std::string& user, const std::string& group) {
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* pwp = nullptr;
    if (getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &pwp) != 0 || pwp == nullptr) {
        return make_error("no user named '" + user + "'");
    }
    exec::user_id id{pw.pw_uid, pw.pw_gid};
    if (!group.empty()) {
        struct group gr {};
        struct group* grp = nullptr;
        if (getgrnam_r(group.c_str(), &gr, buf.data(), buf.size(), &grp) != 0 || grp == nullptr) {
            return make_error("no group named '" + group + "'");
        }
        id.gid = gr.gr_gid;
    }
    return id;
}

struct script_env {
    const config::script_globals& globals;
    const exec::file_system& fs;
    std::vector<std::string>* warnings;
    void warn(const std::string& text) const {
        if (warnings != nullptr) {
            warnings->push_back(text);
        }
    }
};

// The user a script runs as (its own, else script_user, else vipgate's own,
// nullopt) and the checked absolute path of argv[0]. An error: not to run.
result<exec::command> prepare(const script_env& env, std::vector<std::string> argv,
                              const std::string& user, const std::string& group,
                              const std::string& what) {
    exec::command cmd;
    const std::string& u = user.empty() ? env.globals.script_user : user;
    const std::string& g = user.empty() ? env.globals.script_group : group;
    exec::user_id as{static_cast<std::uint32_t>(geteuid()), static_cast<std::uint32_t>(getegid())};
    if (!u.empty()) {
        auto id = resolve_user(u, g);
        if (!id.ok()) {
            return make_error(what + ": " + id.message());
        }
        as = *id;
        cmd.user = *id;
    }
    if (argv.at(0).find('/') == std::string::npos) {
        const char* path = std::getenv("PATH");
        auto found =
            exec::find_in_path(argv[0], path != nullptr ? path : "/usr/bin:/bin", as, env.fs);
        if (!found) {
            return make_error(what + ": script '" + argv[0] + "' not found in PATH");
        }
        env.warn(what + ": please specify the full path of '" + argv[0] + "' (using " + *found +
                 ")");
        argv[0] = *found;
    }
    const auto check = exec::check_script(argv[0], as, env.globals.enable_script_security, env.fs);
    if (!check.run) {
        return make_error(what + ": " + check.reason);
    }
    if (check.insecure) {
        env.warn(what +
                 ": SECURITY VIOLATION - scripts are being executed but script_security "
                 "not enabled: " +
                 check.reason);
    }
    cmd.argv = std::move(argv);
    return cmd;
}

std::optional<exec::script_line> notify_line(const script_env& env, const config::script_command& c,
                                             const std::string& what) {
    if (c.empty()) {
        return std::nullopt;
    }
    auto cmd = prepare(env, c.argv, c.user, c.group, what);
    if (!cmd.ok()) {
        env.warn(cmd.message() + " - disabling");
        return std::nullopt;
    }
    return exec::script_line{cmd->argv, cmd->user};
}

exec::vrrp_notify_scripts notify_scripts(const script_env& env, const config::notify_config& n,
                                         const std::string& who) {
    exec::vrrp_notify_scripts s;
    s.master = notify_line(env, n.master, who + ": notify_master");
    s.backup = notify_line(env, n.backup, who + ": notify_backup");
    s.fault = notify_line(env, n.fault, who + ": notify_fault");
    s.stop = notify_line(env, n.stop, who + ": notify_stop");
    s.generic = notify_line(env, n.any, who + ": notify");
    return s;
}

bool has_any(const exec::vrrp_notify_scripts& s) {
    return s.master || s.backup || s.fault || s.stop || s.generic;
}

} // namespace

namespace {

exec::script_config tracker_config(const config::vrrp_script_config& sc, exec::command cmd) {
    exec::script_config x;
    x.name = sc.name;
    x.cmd = std::move(cmd);
    x.interval = sc.interval;
    if (sc.timeout) {
        x.timeout = *sc.timeout;
    }
    x.weight = sc.weight;
    x.weight_reverse = sc.weight_reverse;
    x.rise = sc.rise;
    x.fall = sc.fall;
    x.init_fail = sc.init_fail;
    return x;
}

} // namespace

result<void> script_manager::add_scripts(const config::config& cfg, const void* envp) {
    const auto& env = *static_cast<const script_env*>(envp);
    for (const auto& sc : cfg.vrrp_scripts) {
        const std::string what = sc.where.to_string() + ": vrrp_script " + sc.name;
        auto cmd = prepare(env, sc.argv, sc.user, sc.group, what);
        if (!cmd.ok()) {
            env.warn(cmd.message() + " - disabling"); // keepalived disables it
            continue;
        }
        if (auto ok = tracker_.add_script(tracker_config(sc, std::move(*cmd))); !ok.ok()) {
            return make_error(what + ": " + ok.message());
        }
        script_names_.push_back(sc.name);
    }
    return {};
}

// One track_script line of `vi` (or of its sync group); a script disabled
// by add_scripts() is skipped; config::sync_track_weight() settles the weight.
result<void> script_manager::add_track(const config::config& cfg,
                                       const config::vrrp_instance_config& vi,
                                       const config::track_script_ref& t, bool group,
                                       std::vector<std::string>* warnings) {
    if (std::find(script_names_.begin(), script_names_.end(), t.script) == script_names_.end()) {
        return {};
    }
    exec::track_config tc{vi.vrrp.name, t.script, t.weight, t.reverse};
    int weight = 0;
    for (const auto& sc : cfg.vrrp_scripts) {
        weight = sc.name == t.script ? t.weight.value_or(sc.weight) : weight;
    }
    const auto w = config::sync_track_weight(config::track_kind::script,
                                             config::track_context_of(cfg, vi, group), weight);
    if (!w.note.empty() && warnings != nullptr) {
        const auto* g = config::sync_group_of(cfg, vi.vrrp.name);
        std::string text =
            t.where.to_string() + ": " +
            (group ? "vrrp_sync_group " + g->name : "vrrp_instance " + vi.vrrp.name) +
            ": track_script " + t.script + ": " + w.note;
        if (std::find(warnings->begin(), warnings->end(), text) == warnings->end()) {
            warnings->push_back(std::move(text));
        }
    }
    if (!w.tracked) {
        return {};
    }
    tc.weight = w.weight;
    ++tracked_;
    if (auto ok = tracker_.add_track(tc); !ok.ok()) {
        return make_error(t.where.to_string() + ": " + ok.message());
    }
    return {};
}

result<std::unique_ptr<script_manager>> script_manager::make(const config::config& cfg,
                                                             exec::runner& r,
                                                             const exec::file_system& fs,
                                                             std::vector<std::string>* warnings) {
    std::unique_ptr<script_manager> m(new script_manager(r));
    const script_env env{cfg.scripts, fs, warnings};
    if (auto ok = m->add_scripts(cfg, &env); !ok.ok()) {
        return make_error(ok.message());
    }
    for (const auto& vi : cfg.vrrp_instances) {
        const std::string& name = vi.vrrp.name;
        for (const auto& t : vi.track_scripts) {
            if (auto ok = m->add_track(cfg, vi, t, false, warnings); !ok.ok()) {
                return make_error(ok.message());
            }
        }
        if (auto n = notify_scripts(env, vi.notify, "vrrp_instance " + name); has_any(n)) {
            m->notify_["INSTANCE " + name] = std::move(n);
        }
        if (auto l = notify_line(env, vi.notify.master_rx_lower_pri,
                                 "vrrp_instance " + name + ": notify_master_rx_lower_pri")) {
            m->rx_lower_[name] = std::move(*l);
        }
    }
    for (const auto& g : cfg.vrrp_sync_groups) {
        for (const auto& vi : cfg.vrrp_instances) {
            if (config::sync_group_of(cfg, vi.vrrp.name) != &g) {
                continue;
            }
            for (const auto& t : g.track_scripts) {
                if (auto ok = m->add_track(cfg, vi, t, true, warnings); !ok.ok()) {
                    return make_error(ok.message());
                }
            }
        }
        if (auto n = notify_scripts(env, g.notify, "vrrp_sync_group " + g.name); has_any(n)) {
            m->notify_["GROUP " + g.name] = std::move(n);
        }
    }
    for (const auto& vs : cfg.virtual_servers) {
        const std::string who = vs.where.to_string() + ": virtual_server " + vs.name;
        quorum_scripts q{notify_line(env, vs.quorum_up, who + ": quorum_up"),
                         notify_line(env, vs.quorum_down, who + ": quorum_down")};
        if (q.up || q.down) {
            m->quorum_[quorum_channel(vs.service.vip, vs.service.port, vs.service.proto)] =
                std::move(q);
        }
    }
    return m;
}

std::string script_manager::quorum_channel(net::ipv4_addr vip, std::uint16_t port,
                                           lb::protocol proto) {
    // keepalived's FMT_VS: "[10.0.0.1]:tcp:80".
    return "VS [" + vip.to_string() + "]:" + std::string(lb::protocol_name(proto)) + ":" +
           std::to_string(port);
}

namespace {

void words(std::string& out, const std::vector<std::string>& argv) {
    for (const auto& w : argv) {
        out += w;
        out += '\x1f';
    }
    out += '\x1e';
}

void command_sig(std::string& out, const config::script_command& c) {
    words(out, c.argv);
    out += c.user + '\x1f' + c.group + '\x1e';
}

void notify_sig(std::string& out, const config::notify_config& n) {
    for (const auto* c :
         {&n.master, &n.backup, &n.fault, &n.stop, &n.any, &n.master_rx_lower_pri}) {
        command_sig(out, *c);
    }
}

void tracks_sig(std::string& out, const std::vector<config::track_script_ref>& ts) {
    for (const auto& t : ts) {
        out += t.script + ' ' + (t.weight ? std::to_string(*t.weight) : "-") + ' ' +
               (t.reverse ? (*t.reverse ? "r" : "n") : "-") + '\x1e';
    }
}

} // namespace

std::string script_manager::signature(const config::config& cfg) {
    const auto& g = cfg.scripts;
    std::string out = g.script_user + '\x1f' + g.script_group + '\x1f' +
                      (g.enable_script_security ? "1" : "0") + '\x1e';
    for (const auto& sc : cfg.vrrp_scripts) {
        out += sc.name + '\x1f';
        words(out, sc.argv);
        out += std::to_string(sc.interval.count()) + ' ' +
               (sc.timeout ? std::to_string(sc.timeout->count()) : "-") + ' ' +
               std::to_string(sc.weight) + ' ' + (sc.weight_reverse ? "r" : "n") + ' ' +
               std::to_string(sc.rise) + ' ' + std::to_string(sc.fall) + ' ' + sc.user + ' ' +
               sc.group + ' ' + (sc.init_fail ? "f" : "-") + '\x1e';
    }
    for (const auto& vi : cfg.vrrp_instances) {
        out += "I " + vi.vrrp.name + '\x1e';
        tracks_sig(out, vi.track_scripts);
        notify_sig(out, vi.notify);
    }
    for (const auto& gr : cfg.vrrp_sync_groups) {
        out += "G " + gr.name + (gr.tracking_weight ? " w" : "") + '\x1e';
        words(out, gr.members);
        tracks_sig(out, gr.track_scripts);
        notify_sig(out, gr.notify);
    }
    for (const auto& vs : cfg.virtual_servers) {
        if (!vs.quorum_up.empty() || !vs.quorum_down.empty()) {
            out +=
                "Q " + quorum_channel(vs.service.vip, vs.service.port, vs.service.proto) + '\x1e';
            command_sig(out, vs.quorum_up);
            command_sig(out, vs.quorum_down);
        }
    }
    return out;
}

result<exec::command>
script_manager::prepare_command(const config::script_globals& globals, const exec::file_system& fs,
                                std::vector<std::string> argv, const std::string& user,
                                const std::string& group, const std::string& what,
                                std::vector<std::string>* warnings) {
    const script_env env{globals, fs, warnings};
    return prepare(env, std::move(argv), user, group, what);
}

void script_manager::poll(usec now, std::vector<exec::instance_changed>& changes,
                          std::vector<exec::finished>* others) {
    std::vector<exec::tracker_action> acts;
    std::vector<exec::notify_action> nacts;
    done_.clear();
    runner_.poll(now, done_);
    for (const auto& f : done_) {
        if (!tracker_.on_finished(f, acts) && !dispatcher_.on_finished(f, now, nacts) &&
            others != nullptr) {
            others->push_back(f);
        }
    }
    tracker_.tick(now, acts);
    log_actions(acts, changes);
    log_notify(nacts);
}

void script_manager::log_actions(std::vector<exec::tracker_action>& acts,
                                 std::vector<exec::instance_changed>& changes) {
    for (auto& a : acts) {
        if (auto* sc = std::get_if<exec::script_changed>(&a)) {
            spdlog::info("{}", sc->reason);
        } else if (auto* ic = std::get_if<exec::instance_changed>(&a)) {
            changes.push_back(std::move(*ic));
        } else if (auto* l = std::get_if<exec::tracker_log>(&a)) {
            spdlog::info("{}", l->text);
        }
    }
}

void script_manager::log_notify(std::vector<exec::notify_action>& acts) {
    for (const auto& a : acts) {
        if (const auto* d = std::get_if<exec::notify_dropped>(&a)) {
            spdlog::warn("notify {}: {} transition(s) dropped (queue full, {} so far)", d->channel,
                         d->transitions, d->total);
        } else if (const auto* f = std::get_if<exec::notify_failed>(&a)) {
            spdlog::warn("notify {}: {} {}{}", f->channel, f->command, exec::describe(f->status),
                         f->detail.empty() ? "" : " (" + f->detail + ")");
            if (auto it = rs_notify_.find(f->channel); it != rs_notify_.end()) {
                ++it->second.failed;
            }
        }
    }
}

void script_manager::notify(usec now, exec::vrrp_kind kind, const std::string& name,
                            exec::vrrp_state state, std::uint8_t priority) {
    const std::string channel = std::string(exec::kind_name(kind)) + " " + name;
    auto it = notify_.find(channel);
    if (it == notify_.end()) {
        return;
    }
    std::vector<exec::notify_action> acts;
    dispatcher_.submit(
        channel,
        exec::vrrp_notify_commands(it->second, kind, name, state, priority, notify_timeout), now,
        acts);
    log_notify(acts);
}

void script_manager::master_rx_lower_pri(usec now, const std::string& instance) {
    auto it = rx_lower_.find(instance);
    if (it == rx_lower_.end()) {
        return;
    }
    exec::command c{it->second.argv, {}, notify_timeout, it->second.user};
    std::vector<exec::notify_action> acts;
    dispatcher_.submit("INSTANCE " + instance, {std::move(c)}, now, acts);
    log_notify(acts);
}

// keepalived's FMT_RS / FMT_VS spelling, "[10.2.0.11]:tcp:8080".
std::string script_manager::rs_channel(const config::virtual_server_config& vs,
                                       const config::real_server_entry& rs) {
    const auto& svc = vs.service;
    const std::string proto(lb::protocol_name(svc.proto));
    const std::uint16_t port = rs.rs.port != 0 ? rs.rs.port : svc.port;
    return "RS [" + rs.rs.address.to_string() + "]:" + proto + ":" + std::to_string(port) + " [" +
           svc.vip.to_string() + "]:" + proto + ":" + std::to_string(svc.port);
}

void script_manager::set_rs_notify(const config::config& cfg, const exec::file_system& fs,
                                   std::vector<std::string>* warnings) {
    const script_env env{cfg.scripts, fs, warnings};
    std::map<std::string, rs_notify_scripts, std::less<>> next;
    for (const auto& vs : cfg.virtual_servers) {
        for (const auto& rs : vs.real_servers) {
            if (rs.notify_up.empty() && rs.notify_down.empty()) {
                continue;
            }
            const std::uint16_t port = rs.rs.port != 0 ? rs.rs.port : vs.service.port;
            rs_notify_scripts n;
            n.virtual_server = vs.name;
            n.real_server = rs.rs.address.to_string() + ":" + std::to_string(port);
            const std::string what = rs.where.to_string() + ": virtual server " + vs.name +
                                     ": real server " + n.real_server;
            n.up = notify_line(env, rs.notify_up, what + ": notify_up");
            n.down = notify_line(env, rs.notify_down, what + ": notify_down");
            const std::string channel = rs_channel(vs, rs);
            if (auto old = rs_notify_.find(channel); old != rs_notify_.end()) {
                n.up_runs = old->second.up_runs;
                n.down_runs = old->second.down_runs;
                n.failed = old->second.failed;
                n.last = old->second.last;
            }
            next[channel] = std::move(n);
        }
    }
    rs_notify_ = std::move(next);
}

std::vector<exec::command> script_manager::rs_commands(const std::string& channel, bool up) const {
    auto it = rs_notify_.find(channel);
    if (it == rs_notify_.end()) {
        return {};
    }
    return exec::updown_commands(it->second.up, it->second.down, up, notify_timeout);
}

void script_manager::rs_notify(usec now, const std::string& channel, const std::string& who,
                               bool up, std::vector<exec::command> cmds) {
    if (cmds.empty()) {
        return;
    }
    const bool queued = dispatcher_.busy(channel);
    for (const auto& c : cmds) {
        spdlog::info("{} {}: {} {}{}", who, up ? "UP" : "DOWN", up ? "notify_up" : "notify_down",
                     exec::quote_command(c.argv),
                     queued ? " (queued after its running notify script)" : "");
    }
    if (auto it = rs_notify_.find(channel); it != rs_notify_.end()) {
        ++(up ? it->second.up_runs : it->second.down_runs);
        it->second.last = up ? "UP" : "DOWN";
    }
    std::vector<exec::notify_action> acts;
    dispatcher_.submit(channel, std::move(cmds), now, acts);
    log_notify(acts);
}

void script_manager::quorum(usec now, const std::string& channel, bool up) {
    auto it = quorum_.find(channel);
    if (it == quorum_.end()) {
        return;
    }
    std::vector<exec::notify_action> acts;
    dispatcher_.submit(channel,
                       exec::updown_commands(it->second.up, it->second.down, up, notify_timeout),
                       now, acts);
    log_notify(acts);
}

json script_manager::report() const {
    json scripts = json::array();
    for (const auto& name : script_names_) {
        json s = json::object();
        s["name"] = name;
        s["status"] = std::string(exec::status_name(tracker_.status(name)));
        if (const auto* c = tracker_.counters(name)) {
            s["runs"] = c->runs;
            s["successes"] = c->successes;
            s["failures"] = c->failures;
            s["timeouts"] = c->timeouts;
            s["spawn_failures"] = c->spawn_failures;
            s["skipped"] = c->skipped;
            s["last"] = c->last ? exec::describe(*c->last) : std::string{};
        }
        scripts.push_back(std::move(s));
    }
    const auto& n = dispatcher_.counters();
    json out = json::object();
    out["scripts"] = std::move(scripts);
    out["notify"] = {{"transitions", n.transitions}, {"started", n.started},
                     {"succeeded", n.succeeded},     {"failed", n.failed},
                     {"timed_out", n.timed_out},     {"dropped", n.dropped}};
    json rs = json::array();
    for (const auto& [channel, r] : rs_notify_) {
        json x = json::object();
        x["virtual_server"] = r.virtual_server;
        x["real_server"] = r.real_server;
        x["notify_up"] = r.up ? exec::quote_command(r.up->argv) : std::string{};
        x["notify_down"] = r.down ? exec::quote_command(r.down->argv) : std::string{};
        x["up_runs"] = r.up_runs;
        x["down_runs"] = r.down_runs;
        x["failed"] = r.failed;
        x["dropped"] = dispatcher_.dropped(channel);
        x["last"] = r.last;
        rs.push_back(std::move(x));
    }
    out["real_servers"] = std::move(rs);
    return out;
}

} // namespace vipgate::control
