#include "control/vrrp_manager.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <set>

#include "exec/track_file.hpp"

#include "net/builder.hpp"
#include "net/headers.hpp"
#include "net/parse.hpp"
#include "vrrp/advert.hpp"
#include "vrrp/reject_reason.hpp"

namespace vipgate::control {

namespace {

// keepalived sends adverts with TOS 0xc0 (internetwork control); TTL 255 is
// required (RFC 5798 §5.1.1.3).
constexpr std::uint8_t advert_tos = 0xc0;
constexpr std::uint8_t advert_ttl = 255;

std::string state_upper(vrrp::instance_state s) {
    std::string n(vrrp::state_name(s));
    for (auto& c : n) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return n;
}

double to_seconds(std::chrono::microseconds d) {
    return static_cast<double>(d.count()) / 1e6;
}

} // namespace

// `cfg` passed config::vrrp_rules::check_vrrp() (config/vrrp_check.cpp), the
// one place for these rules: at most max_vrrp_instances, unique names, each
// on a port of the config (the dataplane's: a reload cannot change them), a
// VRID used once per port, sync group members that exist and belong to one
// group each. They are asserted here, not checked again.
result<std::unique_ptr<vrrp_manager>> vrrp_manager::make(const config::config& cfg,
                                                         const std::vector<port_info>& ports,
                                                         vrrp_host& host,
                                                         std::vector<std::string>* warnings) {
    assert(cfg.vrrp_instances.size() <= config::max_vrrp_instances);
    std::unique_ptr<vrrp_manager> m(new vrrp_manager(host));
    for (const auto& vi : cfg.vrrp_instances) {
        const std::string where =
            "vrrp instance " + vi.vrrp.name + " (" + vi.where.to_string() + ")";
        const auto pit = std::find_if(ports.begin(), ports.end(),
                                      [&](const port_info& p) { return p.name == vi.port; });
        assert(pit != ports.end());
        vrrp::instance_config c = vi.vrrp;
        if (c.primary_address.value == 0) {
            c.primary_address = pit->cfg.address.addr;
        }
        std::vector<std::string> w;
        auto inst = vrrp::instance::make(c, &w);
        if (!inst) {
            return make_error(where + ": " + inst.message());
        }
        if (warnings) {
            for (auto& s : w) {
                warnings->push_back(where + ": " + s);
            }
        }
        slot s;
        s.name = vi.vrrp.name;
        s.port = static_cast<std::uint16_t>(pit - ports.begin());
        s.port_name = pit->name;
        s.port_mac = pit->mac;
        s.inst = std::make_unique<vrrp::instance>(std::move(inst.value()));
        s.cfg = std::make_shared<const vrrp::instance_config>(s.inst->config());
        s.vmac = net::mac_addr{{0x00, 0x00, 0x5e, 0x00, 0x01, s.cfg->vrid}};
        s.reject_seen.assign(vrrp::reject_reason_count, 0);
        s.reject_base.assign(vrrp::reject_reason_count, 0);
        s.row = static_cast<std::uint8_t>(m->instances_.size());
        assert(std::none_of(m->instances_.begin(), m->instances_.end(), [&](const slot& o) {
            return o.name == s.name || (o.port == s.port && o.cfg->vrid == s.cfg->vrid);
        }));
        m->instances_.push_back(std::move(s));
    }
    for (const auto& g : cfg.vrrp_sync_groups) {
        std::vector<std::size_t> members;
        for (const auto& name : g.members) {
            const int i = m->find(name);
            assert(i >= 0 && m->instances_[static_cast<std::size_t>(i)].group < 0);
            members.push_back(static_cast<std::size_t>(i));
        }
        if (auto r = m->add_group(g.name, std::move(members)); !r) {
            return make_error("vrrp sync group " + g.name + ": " + r.message());
        }
    }
    m->add_link_tracks(cfg, ports);
    m->add_file_tracks(cfg);
    m->unknown_seen_.assign(vrrp::reject_reason_count, 0);
    return m;
}

// Each instance's track_interface ports, with its sync group's
// (config::tracked_interfaces() holds keepalived's rules; the loaders
// checked that every name is a port).
void vrrp_manager::add_link_tracks(const config::config& cfg, const std::vector<port_info>& ports) {
    for (const auto& vi : cfg.vrrp_instances) {
        const auto* sg = config::sync_group_of(cfg, vi.vrrp.name);
        const bool owner = config::track_context_of(cfg, vi, true).group_has_owner;
        slot& s = instances_[static_cast<std::size_t>(find(vi.vrrp.name))];
        for (const auto& t : config::tracked_interfaces(vi, sg, owner)) {
            const auto pit = std::find_if(ports.begin(), ports.end(),
                                          [&](const port_info& p) { return p.name == t.port; });
            assert(pit != ports.end());
            s.links.push_back(
                {static_cast<std::uint16_t>(pit - ports.begin()), t.port, t.weight, t.reverse});
        }
    }
}

// Each instance's track_file lines, then its sync group's, with the
// weights of config::sync_track_weight(). A file the instance tracks
// itself keeps the instance's line when that is unweighted, else takes the
// group's (track_file.c add_obj_to_track_file()).
void vrrp_manager::add_file_tracks(const config::config& cfg) {
    for (const auto& vi : cfg.vrrp_instances) {
        slot& s = instances_[static_cast<std::size_t>(find(vi.vrrp.name))];
        const auto* sg = config::sync_group_of(cfg, vi.vrrp.name);
        const auto add = [&](const config::track_file_ref& t, bool of_group) {
            const auto w = config::sync_track_weight(
                config::track_kind::file, config::track_context_of(cfg, vi, of_group), t.weight);
            if (!w.tracked) {
                return;
            }
            const slot::file_track f{t.name, t.path, w.weight, t.reverse};
            auto it = std::find_if(s.files.begin(), s.files.end(),
                                   [&](const slot::file_track& o) { return o.path == t.path; });
            if (it == s.files.end()) {
                s.files.push_back(f);
            } else if (of_group && it->weight != 0) {
                *it = f;
            }
        };
        for (const auto& t : vi.track_files) {
            add(t, false);
        }
        for (const auto& t :
             sg != nullptr ? sg->track_files : std::vector<config::track_file_ref>{}) {
            add(t, true);
        }
    }
    for (const auto& f : cfg.track_files) {
        if (f.init_value) {
            file_inits_.push_back(f);
        }
    }
}

bool vrrp_manager::read_files(bool init, bool reload) {
    if (init) {
        for (const auto& f : file_inits_) {
            if (auto err = exec::init_track_file(f.path, *f.init_value, f.init_overwrite, reload);
                !err.empty()) {
                spdlog::warn("track_file {}: {}", f.name,
                             err); // keepalived: "Unable to initialise"
            }
        }
    }
    bool changed = false;
    std::set<std::string, std::less<>> seen; // each path read once per call
    for (const auto& s : instances_) {
        for (const auto& f : s.files) {
            if (!seen.insert(f.path).second) {
                continue;
            }
            auto it = file_values_.try_emplace(f.path, 0).first;
            const std::string text = exec::read_track_file(f.path);
            const auto v = exec::parse_track_file(text);
            if (!v) {
                // track_file.c: "Invalid number ... - ignoring": the last value stays.
                spdlog::debug("track_file {}: invalid number in {}; ignored", f.name, f.path);
                continue;
            }
            if (*v != it->second) {
                spdlog::info("track_file {}: {} now reads {}", f.name, f.path, *v);
                it->second = *v;
                changed = true;
            }
        }
    }
    return changed;
}

void vrrp_manager::poll_files(usec now) {
    std::map<std::string, std::int64_t, std::less<>> before = file_values_;
    if (!read_files(false, false)) {
        return;
    }
    for (std::size_t i = 0; i < instances_.size(); ++i) {
        const auto& files = instances_[i].files;
        if (std::any_of(files.begin(), files.end(), [&](const slot::file_track& f) {
                return before[f.path] != file_values_[f.path];
            })) {
            retrack(now, i);
        }
    }
}

result<void> vrrp_manager::add_group(const std::string& name, std::vector<std::size_t> members) {
    std::vector<vrrp::instance*> ptrs;
    for (auto idx : members) {
        ptrs.push_back(instances_[idx].inst.get());
    }
    auto sync = vrrp::sync_group::make(name, ptrs);
    if (!sync) {
        return sync.err();
    }
    for (auto idx : members) {
        instances_[idx].group = static_cast<int>(groups_.size());
    }
    groups_.push_back(
        {name, std::move(members), std::make_unique<vrrp::sync_group>(std::move(sync.value()))});
    return {};
}

int vrrp_manager::find(const std::string& name) const {
    for (std::size_t i = 0; i < instances_.size(); ++i) {
        if (instances_[i].name == name) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

void vrrp_manager::start(usec now, const std::vector<bool>& link_up) {
    link_up_ = link_up;
    read_files(true, false);
    for (std::size_t i = 0; i < instances_.size(); ++i) {
        auto& s = instances_[i];
        retrack(now, i); // a weight-0 tracked port that is down: FAULT at start
        std::vector<vrrp::action> acts;
        s.inst->start(tp(now), acts);
        if (s.port < link_up.size() && !link_up[s.port]) {
            s.inst->port_down(tp(now), acts);
        }
        spdlog::info("VRRP {}: started on port {}, VRID {}, v{}, priority {}, advert every {} s, "
                     "{} VIP(s){}",
                     s.name, s.port_name, s.cfg->vrid, s.cfg->version, s.inst->effective_priority(),
                     to_seconds(s.cfg->advert_int), s.cfg->virtual_addresses.size(),
                     s.cfg->unicast_peers.empty() ? "" : ", unicast");
        after_input(now, i, acts);
    }
}

std::string vrrp_manager::adopt(usec now, vrrp_manager& next, const std::vector<bool>& link_up,
                                const shell& sh) {
    unsigned kept = 0, started = 0, stopped = 0;
    link_up_ = link_up;
    // Shut down what goes away or changes.
    for (std::size_t i = 0; i < instances_.size(); ++i) {
        auto& old = instances_[i];
        int j = next.find(old.name);
        bool same = j >= 0 && next.instances_[static_cast<std::size_t>(j)].port == old.port &&
                    *next.instances_[static_cast<std::size_t>(j)].cfg == *old.cfg;
        if (same) {
            continue;
        }
        std::vector<vrrp::action> acts;
        old.inst->shutdown(tp(now), acts);
        apply(now, i, acts);
        if (old.owns_vips) {
            old.owns_vips = false;
            host_.ownership_changed();
        }
        spdlog::info("VRRP {}: {} by reload", old.name, j >= 0 ? "reconfigured" : "removed");
        ++stopped;
    }
    // Take over unchanged instances (their objects move, addresses stay).
    std::vector<bool> fresh(next.instances_.size(), true);
    for (std::size_t j = 0; j < next.instances_.size(); ++j) {
        auto& n = next.instances_[j];
        int i = find(n.name);
        if (i < 0) {
            continue;
        }
        auto& old = instances_[static_cast<std::size_t>(i)];
        if (old.port != n.port || *old.cfg != *n.cfg) {
            continue;
        }
        n.inst = std::move(old.inst);
        n.cfg = old.cfg;
        n.owns_vips = old.owns_vips;
        n.reject_seen = old.reject_seen;
        n.row = old.row; // counters stay with the instance
        n.scripts = old.scripts;
        n.script_reason = old.script_reason;
        fresh[j] = false;
        ++kept;
    }
    // New instances take counter rows no kept instance uses; their log
    // baseline starts at whatever a previous owner of the row left.
    {
        std::vector<bool> used(config::max_vrrp_instances, false);
        for (std::size_t j = 0; j < next.instances_.size(); ++j) {
            if (!fresh[j]) {
                used[next.instances_[j].row] = true;
            }
        }
        std::size_t r = 0;
        for (std::size_t j = 0; j < next.instances_.size(); ++j) {
            if (!fresh[j]) {
                continue;
            }
            while (r < used.size() && used[r]) {
                ++r;
            }
            auto& n = next.instances_[j];
            n.row = static_cast<std::uint8_t>(r);
            used[r] = true;
            n.reject_base.assign(vrrp::reject_reason_count, 0);
            for (std::size_t reason = 0; reason < vrrp::reject_reason_count; ++reason) {
                for (unsigned w = 0; w < sh.worker_count(); ++w) {
                    n.reject_base[reason] += sh.worker(w).vrrp_reject[r][reason].get();
                }
            }
            n.reject_seen = n.reject_base;
        }
    }
    // Sync groups of `next` were built over its own (fresh) instance objects:
    // rebuild them over the objects actually in use.
    std::vector<group> built = std::move(next.groups_);
    next.groups_.clear();
    for (auto& n : next.instances_) {
        n.group = -1;
    }
    for (auto& g : built) {
        g.sync.reset(); // over instance objects that may have been replaced above
        if (auto r = next.add_group(g.name, std::move(g.members)); !r) {
            spdlog::error("reload: sync group {}: {}", g.name, r.message());
        }
    }
    instances_ = std::move(next.instances_);
    groups_ = std::move(next.groups_);
    file_inits_ = std::move(next.file_inits_);
    read_files(true, true); // the tracked files may have changed
    host_.ownership_changed();
    for (std::size_t j = 0; j < instances_.size(); ++j) {
        retrack(now, j); // the tracked ports may have changed
        if (!fresh[j]) {
            continue;
        }
        auto& s = instances_[j];
        std::vector<vrrp::action> acts;
        s.inst->start(tp(now), acts);
        if (s.port < link_up.size() && !link_up[s.port]) {
            s.inst->port_down(tp(now), acts);
        }
        after_input(now, j, acts);
        ++started;
    }
    return std::to_string(kept) + " kept, " + std::to_string(started) + " started, " +
           std::to_string(stopped) + " stopped";
}

void vrrp_manager::after_input(usec now, std::size_t idx, std::vector<vrrp::action>& acts) {
    apply(now, idx, acts);
    int g = instances_[idx].group;
    if (g < 0) {
        return;
    }
    std::vector<vrrp::sync_group::member_action> extra;
    const group& grp = groups_[static_cast<std::size_t>(g)];
    grp.sync->sync(tp(now), extra);
    const auto& members = grp.members;
    for (const auto& ma : extra) {
        if (ma.member < members.size()) {
            apply_one(now, members[ma.member], ma.act);
        }
    }
}

void vrrp_manager::apply(usec now, std::size_t idx, std::vector<vrrp::action>& acts) {
    for (const auto& a : acts) {
        apply_one(now, idx, a);
    }
    acts.clear();
}

void vrrp_manager::apply_one(usec now, std::size_t idx, const vrrp::action& a) {
    auto& s = instances_[idx];
    if (const auto* sa = std::get_if<vrrp::send_advert>(&a)) {
        send_advert(idx, sa->priority);
    } else if (const auto* sg = std::get_if<vrrp::send_garps>(&a)) {
        send_garps(idx, sg->count);
    } else if (std::holds_alternative<vrrp::take_vips>(a)) {
        if (!s.owns_vips) {
            host_.before_takeover(s.name);
            s.owns_vips = true;
            host_.ownership_changed();
        }
    } else if (std::holds_alternative<vrrp::release_vips>(a)) {
        if (s.owns_vips) {
            s.owns_vips = false;
            host_.ownership_changed();
        }
    } else if (const auto* n = std::get_if<vrrp::notify>(&a)) {
        spdlog::info("VRRP {}: {} -> {}: {}", s.name, state_upper(n->from), state_upper(n->to),
                     n->reason);
        notify_scripts(now, idx, *n);
    } else if (const auto* l = std::get_if<vrrp::log_message>(&a)) {
        spdlog::info("VRRP {}: {}", s.name, l->text);
    }
}

namespace {

exec::vrrp_state notify_state(vrrp::instance_state s) {
    switch (s) {
    case vrrp::instance_state::master:
        return exec::vrrp_state::master;
    case vrrp::instance_state::backup:
        return exec::vrrp_state::backup;
    case vrrp::instance_state::fault:
        return exec::vrrp_state::fault;
    case vrrp::instance_state::init:
        break;
    }
    return exec::vrrp_state::stop;
}

} // namespace

// keepalived send_instance_notifies(), then send_group_notifies() once every
// member of the instance's sync group is in the new state.
void vrrp_manager::notify_scripts(usec now, std::size_t idx, const vrrp::notify& n) {
    if (scripts_ == nullptr) {
        return;
    }
    const slot& s = instances_[idx];
    scripts_->notify(now, exec::vrrp_kind::instance, s.name, notify_state(n.to),
                     s.inst->effective_priority());
    if (s.group < 0) {
        return;
    }
    group& g = groups_[static_cast<std::size_t>(s.group)];
    for (std::size_t m : g.members) {
        if (m != idx && instances_[m].inst->state() != n.to) {
            return;
        }
    }
    if (g.notified != n.to) {
        g.notified = n.to;
        scripts_->notify(now, exec::vrrp_kind::group, g.name, notify_state(n.to), 0);
    }
}

void vrrp_manager::track_one(usec now, std::size_t idx, const exec::track_effect& e,
                             const std::string& reason) {
    instances_[idx].scripts = e;
    instances_[idx].script_reason = reason;
    retrack(now, idx);
}

// keepalived's total_priority and num_script_if_fault over the instance's
// tracked objects: each track_interface port is a tracked object whose
// state is its link (up: OK), with the same rule as a script
// (exec::effect_of; vrrp_track.c initialise_interface_tracking_priorities),
// all summed by exec::add. A port not seen yet counts as up.
void vrrp_manager::retrack(usec now, std::size_t idx) {
    slot& s = instances_[idx];
    exec::track_effect links;
    std::string culprit;
    for (const auto& l : s.links) {
        const bool up = l.port >= link_up_.size() || link_up_[l.port];
        const auto e = exec::effect_of(l.weight, l.reverse,
                                       up ? exec::script_status::ok : exec::script_status::failed);
        if (e.fault && culprit.empty()) {
            culprit = "tracked interface " + l.name + (up ? " up (reverse)" : " down");
        }
        exec::add(links, e);
    }
    for (const auto& f : s.files) { // track_file: exec::file_effect
        const auto it = file_values_.find(f.path);
        const std::int64_t v = it == file_values_.end() ? 0 : it->second;
        const auto e = exec::file_effect(v, f.weight, f.reverse);
        if (e.fault && culprit.empty()) {
            culprit = "tracked file " + f.name + " reads " + std::to_string(v);
        }
        exec::add(links, e);
    }
    exec::track_effect total = s.scripts;
    exec::add(total, links);
    std::vector<vrrp::action> acts;
    vrrp::instance& in = *s.inst;
    in.set_track_delta(tp(now), total.priority_delta, acts);
    const bool fault = total.fault || total.pending;
    const std::string why = s.scripts.pending ? "waiting for track scripts"
                            : s.scripts.fault ? "track script " + s.script_reason + " failed"
                            : links.fault     ? culprit
                            : s.links.empty() && s.files.empty()
                                ? "track scripts OK"
                                : "tracked scripts, interfaces and files OK";
    in.set_fault(tp(now), fault, why, acts);
    after_input(now, idx, acts);
}

void vrrp_manager::apply_tracking(usec now, const std::vector<exec::instance_changed>& changes) {
    for (const auto& c : changes) {
        if (int i = find(c.instance); i >= 0) {
            track_one(now, static_cast<std::size_t>(i), c.total, c.reason);
        }
    }
}

void vrrp_manager::apply_all_tracking(usec now, const script_manager& s) {
    for (std::size_t i = 0; i < instances_.size(); ++i) {
        track_one(now, i, s.effect(instances_[i].name), "");
    }
}

void vrrp_manager::hold_preemption(bool hold, const std::string& only) {
    for (auto& s : instances_) {
        if (only.empty() || s.name == only) {
            s.inst->hold_preemption(hold);
        }
    }
}

bool vrrp_manager::preemption_held(const std::string& name) const {
    const int i = find(name);
    return i >= 0 && instances_[static_cast<std::size_t>(i)].inst->preemption_held();
}

void vrrp_manager::send_advert(std::size_t idx, std::uint8_t priority) {
    auto& s = instances_[idx];
    vrrp::advert adv = s.inst->make_advert(priority);
    const net::ipv4_addr src = s.cfg->primary_address;
    const net::mac_addr src_mac = s.cfg->use_vmac ? s.vmac : s.port_mac;
    auto send_to = [&](net::ipv4_addr dst, const net::mac_addr& dst_mac) {
        std::uint8_t payload[1500];
        std::size_t n = vrrp::encode(adv, src, dst, std::span<std::uint8_t>(payload));
        if (n == 0) {
            ++tx_.adverts_failed;
            return;
        }
        std::size_t len =
            net::build_ipv4_frame(frame_buf_, {.dst = dst_mac, .src = src_mac},
                                  {.src = src, .dst = dst, .ttl = advert_ttl, .tos = advert_tos},
                                  net::ip_proto_vrrp, std::span<const std::uint8_t>(payload, n));
        if (len == 0 ||
            !host_.send_frame(s.port, std::span<const std::uint8_t>(frame_buf_.data(), len))) {
            ++tx_.adverts_failed;
        } else {
            ++tx_.adverts_sent;
        }
    };
    if (s.cfg->unicast_peers.empty()) {
        send_to(vrrp::multicast_group, vrrp::multicast_group_mac);
        return;
    }
    for (const auto& peer : s.cfg->unicast_peers) {
        auto mac = host_.neighbour_mac(s.port, peer);
        if (!mac) {
            ++tx_.unicast_unresolved;
            continue;
        }
        send_to(peer, *mac);
    }
}

void vrrp_manager::send_garps(std::size_t idx, std::uint32_t count) {
    auto& s = instances_[idx];
    const net::mac_addr mac = s.cfg->use_vmac ? s.vmac : s.port_mac;
    for (std::uint32_t i = 0; i < count; ++i) {
        for (const auto& vip : s.cfg->virtual_addresses) {
            std::size_t len = net::build_garp(frame_buf_, mac, vip);
            if (len != 0 &&
                host_.send_frame(s.port, std::span<const std::uint8_t>(frame_buf_.data(), len))) {
                ++tx_.garps_sent;
            }
        }
    }
}

void vrrp_manager::on_punt(usec now, const punt_view& f) {
    // The worker's slot is the instance's counter row, stable across reloads.
    std::size_t idx = instances_.size();
    for (std::size_t i = 0; i < instances_.size(); ++i) {
        if (instances_[i].row == f.slot) {
            idx = i;
        }
    }
    if (idx == instances_.size()) {
        ++tx_.punts_bad;
        return;
    }
    std::span<const std::uint8_t> frame = f.frame;
    net::packet_meta meta;
    if (net::parse(frame, meta) != pipeline::drop_reason::none ||
        meta.ip_proto != net::ip_proto_vrrp) {
        ++tx_.punts_bad;
        return;
    }
    auto& s = instances_[idx];
    net::ipv4_cview ip(frame.subspan(meta.l3_offset, net::ipv4_min_header_len));
    vrrp::advert adv;
    vrrp::decode_options opts;
    opts.expected_version = s.cfg->version;
    opts.ip_ttl = ip.ttl();
    opts.check_ttl = false; // the worker applied the TTL rule
    auto r =
        vrrp::decode(frame.subspan(meta.l4_offset, meta.l4_len), meta.src, meta.dst, opts, adv);
    if (!r.ok()) {
        ++tx_.punts_bad;
        return;
    }
    std::vector<vrrp::action> acts;
    s.inst->on_advert(tp(now), meta.src, adv, acts);
    after_input(now, idx, acts);
}

void vrrp_manager::on_timer(usec now) {
    for (std::size_t i = 0; i < instances_.size(); ++i) {
        auto d = instances_[i].inst->next_deadline();
        if (d && d->time_since_epoch() <= now) {
            std::vector<vrrp::action> acts;
            instances_[i].inst->on_timer(tp(now), acts);
            after_input(now, i, acts);
        }
    }
}

std::optional<usec> vrrp_manager::next_deadline() const {
    std::optional<usec> best;
    for (const auto& s : instances_) {
        auto d = s.inst->next_deadline();
        if (d && (!best || d->time_since_epoch() < *best)) {
            best = d->time_since_epoch();
        }
    }
    return best;
}

void vrrp_manager::link_changed(usec now, std::uint16_t port, bool up) {
    if (port >= link_up_.size()) {
        link_up_.resize(port + 1u, true);
    }
    link_up_[port] = up;
    for (std::size_t i = 0; i < instances_.size(); ++i) {
        const auto& links = instances_[i].links;
        if (std::any_of(links.begin(), links.end(),
                        [&](const slot::link_track& l) { return l.port == port; })) {
            retrack(now, i); // track_interface
        }
        if (instances_[i].port != port) {
            continue;
        }
        std::vector<vrrp::action> acts;
        if (up) {
            instances_[i].inst->port_up(tp(now), acts);
        } else {
            instances_[i].inst->port_down(tp(now), acts);
        }
        after_input(now, i, acts);
    }
}

void vrrp_manager::shutdown(usec now) {
    for (std::size_t i = 0; i < instances_.size(); ++i) {
        std::vector<vrrp::action> acts;
        instances_[i].inst->shutdown(tp(now), acts);
        apply(now, i, acts);
    }
}

result<void> vrrp_manager::set_priority(usec now, const std::string& name, int priority) {
    int i = find(name);
    if (i < 0) {
        return make_error("no vrrp instance named '" + name + "'");
    }
    if (priority < 1 || priority > 254) {
        return make_error(
            "priority must be 1..254 (255 is the address owner's, set in the config)");
    }
    std::vector<vrrp::action> acts;
    auto& s = instances_[static_cast<std::size_t>(i)];
    auto r = s.inst->set_priority(tp(now), static_cast<std::uint8_t>(priority), acts);
    if (!r) {
        return r;
    }
    spdlog::info("VRRP {}: priority set to {} by the operator", name, priority);
    after_input(now, static_cast<std::size_t>(i), acts);
    return {};
}

result<void> vrrp_manager::resign(usec now, const std::string& name) {
    int i = find(name);
    if (i < 0) {
        return make_error("no vrrp instance named '" + name + "'");
    }
    if (instances_[static_cast<std::size_t>(i)].group >= 0) {
        return group_admin(now, static_cast<std::size_t>(i), true);
    }
    std::vector<vrrp::action> acts;
    auto r = instances_[static_cast<std::size_t>(i)].inst->resign(tp(now), acts);
    if (!r) {
        return r;
    }
    after_input(now, static_cast<std::size_t>(i), acts);
    return {};
}

result<void> vrrp_manager::resume(usec now, const std::string& name) {
    int i = find(name);
    if (i < 0) {
        return make_error("no vrrp instance named '" + name + "'");
    }
    if (instances_[static_cast<std::size_t>(i)].group >= 0) {
        return group_admin(now, static_cast<std::size_t>(i), false);
    }
    std::vector<vrrp::action> acts;
    instances_[static_cast<std::size_t>(i)].inst->resume(tp(now), acts);
    after_input(now, static_cast<std::size_t>(i), acts);
    return {};
}

result<void> vrrp_manager::group_admin(usec now, std::size_t idx, bool resign) {
    const group& grp = groups_[static_cast<std::size_t>(instances_[idx].group)];
    const auto pos = std::find(grp.members.begin(), grp.members.end(), idx);
    const auto member = static_cast<std::size_t>(pos - grp.members.begin());
    std::vector<vrrp::sync_group::member_action> out;
    if (resign) {
        auto r = grp.sync->resign(tp(now), member, out);
        if (!r) {
            return r;
        }
        spdlog::info("VRRP sync group {}: {} resigned by the operator: resigning every member",
                     grp.name, instances_[idx].name);
    } else {
        grp.sync->resume(tp(now), member, out);
        spdlog::info("VRRP sync group {}: {} resumed by the operator: resuming every member",
                     grp.name, instances_[idx].name);
    }
    for (const auto& ma : out) {
        if (ma.member < grp.members.size()) {
            apply_one(now, grp.members[ma.member], ma.act);
        }
    }
    std::vector<vrrp::action> none;
    after_input(now, idx, none); // the group's own sync step
    return {};
}

bool vrrp_manager::manages(net::ipv4_addr ip) const {
    for (const auto& s : instances_) {
        for (const auto& v : s.cfg->virtual_addresses) {
            if (v == ip) {
                return true;
            }
        }
    }
    return false;
}

bool vrrp_manager::holds(net::ipv4_addr ip) const {
    for (const auto& s : instances_) {
        if (s.owns_vips) {
            for (const auto& v : s.cfg->virtual_addresses) {
                if (v == ip) {
                    return true;
                }
            }
        }
    }
    return false;
}

void vrrp_manager::fill_snapshot(pipeline::snapshot_builder& b) const {
    for (std::size_t i = 0; i < instances_.size(); ++i) {
        const auto& s = instances_[i];
        if (s.port >= b.port_count()) {
            continue;
        }
        b.add_vrrp(s.port, s.row, s.cfg);
        if (s.owns_vips) {
            const net::mac_addr mac = s.cfg->use_vmac ? s.vmac : s.port_mac;
            for (const auto& vip : s.cfg->virtual_addresses) {
                b.add_owned(s.port, {vip, mac});
            }
            if (s.cfg->use_vmac) {
                b.add_virtual_mac(s.port, s.vmac);
            }
        }
    }
}

std::vector<vrrp_instance_row> vrrp_manager::report(usec now, const shell& sh,
                                                    const std::string& only) const {
    std::vector<vrrp_instance_row> rows;
    for (const auto& s : instances_) {
        if (only.empty() || s.name == only) {
            rows.push_back(instance_report(now, sh, s));
        }
    }
    return rows;
}

vrrp_instance_row vrrp_manager::instance_report(usec now, const shell& sh, const slot& s) const {
    const auto& in = *s.inst;
    vrrp_instance_row r;
    r.name = s.name;
    r.port = s.port_name;
    r.vrid = s.cfg->vrid;
    r.version = s.cfg->version;
    r.state = state_upper(in.state());
    r.priority = in.base_priority();
    r.effective_priority = in.effective_priority();
    r.master_address = in.master_address() ? in.master_address()->to_string() : std::string("-");
    r.master_priority = in.master_priority();
    r.advert_interval_s = to_seconds(in.advert_interval());
    r.master_adver_interval_s = to_seconds(in.master_adver_interval());
    r.master_down_interval_s = to_seconds(in.master_down_interval());
    if (auto ttd = in.time_to_master_down(tp(now))) {
        r.time_to_master_down_s = to_seconds(*ttd);
    }
    r.preempt = s.cfg->preempt;
    r.preempt_delay_s = to_seconds(s.cfg->preempt_delay);
    r.resigned = in.resigned();
    r.owns_vips = s.owns_vips;
    for (const auto& v : s.cfg->virtual_addresses) {
        r.virtual_addresses.push_back(v.to_string());
    }
    r.source_address = s.cfg->primary_address.to_string();
    r.mac = (s.cfg->use_vmac ? s.vmac : s.port_mac).to_string();
    for (const auto& p : s.cfg->unicast_peers) {
        r.unicast_peers.push_back(p.to_string());
    }
    r.authentication = s.cfg->auth == vrrp::auth_kind::pass ? "PASS" : "none";
    if (s.group >= 0) {
        r.sync_group = groups_[static_cast<std::size_t>(s.group)].name;
    }
    r.counters = in.counters();
    for (unsigned w = 0; w < sh.worker_count(); ++w) {
        r.adverts_accepted_by_workers += sh.worker(w).vrrp_punted[s.row].get();
    }
    add_rejections(sh, s, r);
    for (const auto& t : in.history()) {
        r.transitions.push_back({to_seconds(now - t.at.time_since_epoch()), state_upper(t.from),
                                 state_upper(t.to), t.reason});
    }
    return r;
}

// The workers' rejections of this instance's adverts, per reason (minus what
// a previous owner of the counter row left), and the last one.
void vrrp_manager::add_rejections(const shell& sh, const slot& s, vrrp_instance_row& r) const {
    for (std::size_t reason = 1; reason < vrrp::reject_reason_count; ++reason) {
        std::uint64_t v = 0;
        for (unsigned w = 0; w < sh.worker_count(); ++w) {
            v += sh.worker(w).vrrp_reject[s.row][reason].get();
        }
        v -= std::min(v, s.reject_base[reason]);
        r.rejected_total += v;
        r.rejected.emplace_back(
            std::string(vrrp::reject_reason_name(static_cast<vrrp::reject_reason>(reason))), v);
    }
    std::uint64_t last = 0;
    for (unsigned w = 0; w < sh.worker_count(); ++w) {
        if (auto l = sh.worker(w).vrrp_last_reject[s.row].load(std::memory_order_relaxed)) {
            last = l;
        }
    }
    if (last != 0) {
        r.last_rejected = vrrp_instance_row::rejection{
            std::string(vrrp::reject_reason_name(static_cast<vrrp::reject_reason>(last >> 32))),
            net::ipv4_addr(static_cast<std::uint32_t>(last)).to_string()};
    }
}

json vrrp_manager::tx_report(const shell& sh) const {
    json o = json::object();
    o["adverts_sent"] = tx_.adverts_sent;
    o["adverts_failed"] = tx_.adverts_failed;
    o["unicast_unresolved"] = tx_.unicast_unresolved;
    o["garps_sent"] = tx_.garps_sent;
    o["punts_bad"] = tx_.punts_bad;
    json unk = json::object();
    const std::size_t row = worker_stats::vrrp_rows - 1;
    for (std::size_t reason = 1; reason < vrrp::reject_reason_count; ++reason) {
        std::uint64_t v = 0;
        for (unsigned w = 0; w < sh.worker_count(); ++w) {
            v += sh.worker(w).vrrp_reject[row][reason].get();
        }
        if (v != 0) {
            unk[std::string(vrrp::reject_reason_name(static_cast<vrrp::reject_reason>(reason)))] =
                v;
        }
    }
    o["rejected_without_instance"] = std::move(unk);
    return o;
}

void vrrp_manager::log_rejections(usec now, const shell& sh) {
    for (std::size_t i = 0; i < instances_.size(); ++i) {
        auto& s = instances_[i];
        std::string what;
        for (std::size_t reason = 1; reason < vrrp::reject_reason_count; ++reason) {
            std::uint64_t v = 0;
            for (unsigned w = 0; w < sh.worker_count(); ++w) {
                v += sh.worker(w).vrrp_reject[s.row][reason].get();
            }
            if (v > s.reject_seen[reason]) {
                what +=
                    (what.empty() ? "" : ", ") + std::to_string(v - s.reject_seen[reason]) + " " +
                    std::string(vrrp::reject_reason_name(static_cast<vrrp::reject_reason>(reason)));
                s.reject_seen[reason] = v;
            }
        }
        if (what.empty()) {
            continue;
        }
        // At most 5 lines a minute per instance: a flood must not flood the log.
        if (now - s.reject_log_window >= std::chrono::seconds(60)) {
            s.reject_log_window = now;
            s.reject_log_count = 0;
        }
        if (s.reject_log_count >= 5) {
            ++s.reject_log_suppressed;
            continue;
        }
        ++s.reject_log_count;
        std::uint64_t last = 0;
        for (unsigned w = 0; w < sh.worker_count(); ++w) {
            if (auto l = sh.worker(w).vrrp_last_reject[s.row].load(std::memory_order_relaxed)) {
                last = l;
            }
        }
        spdlog::warn("VRRP {}: rejected adverts: {} (last from {}){}; a peer whose adverts are "
                     "rejected will also act as master",
                     s.name, what, net::ipv4_addr(static_cast<std::uint32_t>(last)).to_string(),
                     s.reject_log_suppressed
                         ? " [" + std::to_string(s.reject_log_suppressed) + " reports suppressed]"
                         : std::string());
        s.reject_log_suppressed = 0;
    }
    // Unknown VRIDs are normal on a segment shared with other VRRP groups:
    // debug level only.
    const std::size_t row = worker_stats::vrrp_rows - 1;
    std::uint64_t v = 0;
    for (unsigned w = 0; w < sh.worker_count(); ++w) {
        v += sh.worker(w)
                 .vrrp_reject[row][static_cast<std::size_t>(vrrp::reject_reason::unknown_vrid)]
                 .get();
    }
    auto& seen = unknown_seen_[static_cast<std::size_t>(vrrp::reject_reason::unknown_vrid)];
    if (v > seen) {
        spdlog::debug("VRRP: {} advert(s) for a VRID no instance here uses", v - seen);
        seen = v;
    }
}

} // namespace vipgate::control
