#include "exec/tracker.hpp"

#include <algorithm>

namespace vipgate::exec {
namespace {

// keepalived: "weight <INTEGER:-253..253>" for vrrp_script and track_script.
bool weight_ok(int w) {
    return w >= -253 && w <= 253;
}

std::string result_text(const std::string& name, script_status to, const exit_status& st) {
    const std::string head = "VRRP_Script(" + name + ") ";
    if (to == script_status::ok) {
        return head + "succeeded";
    }
    if (st.kind == end_kind::timed_out) {
        return head + "timed_out";
    }
    return head + "failed (" + describe(st) + ")";
}

} // namespace

void add(track_effect& total, const track_effect& e) noexcept {
    total.priority_delta += e.priority_delta;
    total.fault = total.fault || e.fault;
    total.pending = total.pending || e.pending;
}

result<void> validate(const script_config& cfg) {
    if (cfg.name.empty()) {
        return make_error("vrrp_script without a name");
    }
    if (cfg.cmd.argv.empty() || cfg.cmd.argv[0].empty()) {
        return make_error("No script set for vrrp_script " + cfg.name);
    }
    if (cfg.interval <= usec{0} || (cfg.timeout && *cfg.timeout <= usec{0})) {
        return make_error("vrrp_script " + cfg.name + ": interval and timeout must be positive");
    }
    if (!weight_ok(cfg.weight)) {
        return make_error("vrrp_script " + cfg.name + " weight " + std::to_string(cfg.weight) +
                          " must be in [-253, 253]");
    }
    if (cfg.rise < 1 || cfg.fall < 1) {
        return make_error("vrrp_script " + cfg.name + ": rise and fall must be at least 1");
    }
    return {};
}

std::string_view status_name(script_status s) noexcept {
    switch (s) {
    case script_status::unknown:
        return "unknown";
    case script_status::ok:
        return "OK";
    case script_status::failed:
        return "KO";
    }
    return "?";
}

track_effect effect_of(int weight, bool reverse, script_status s) noexcept {
    const int signed_weight = reverse ? -weight : weight;
    track_effect e;
    if (s == script_status::unknown) {
        e.pending = weight == 0;
    } else if (weight == 0) {
        // vrrp_track.c: "if (script_ok != (multiplier == 1)) down_instance".
        e.fault = (s == script_status::ok) == reverse;
    } else if ((s == script_status::ok) == (weight > 0)) {
        e.priority_delta = signed_weight;
    }
    return e;
}

result<void> script_tracker::add_script(script_config cfg) {
    if (auto v = validate(cfg); !v) {
        return v.err();
    }
    if (scripts_.count(cfg.name) != 0) {
        return make_error("duplicate vrrp_script " + cfg.name);
    }
    tracked s;
    // vrrp_init_script(): init_fail starts KO (result 0); otherwise "one
    // success is enough" (result rise - 1) and one failure is too.
    s.status = cfg.init_fail ? script_status::failed : script_status::unknown;
    s.result = cfg.init_fail ? 0 : cfg.rise - 1;
    const std::string name = cfg.name;
    s.cfg = std::move(cfg);
    scripts_.emplace(name, std::move(s));
    return {};
}

result<void> script_tracker::add_track(const track_config& t) {
    const auto it = scripts_.find(t.script);
    if (it == scripts_.end()) {
        return make_error("(" + t.instance + ") track script " + t.script + " not found");
    }
    for (const auto& tr : tracks_) {
        if (tr.instance == t.instance && tr.script == t.script) {
            return make_error("(" + t.instance + ") duplicate track_script " + t.script);
        }
    }
    const int w = t.weight.value_or(it->second.cfg.weight);
    if (!weight_ok(w)) {
        return make_error("(" + t.instance + ") track script " + t.script +
                          ": weight must be between [-253..253]");
    }
    tracks_.push_back({t.instance, t.script, w, t.reverse.value_or(it->second.cfg.weight_reverse)});
    totals_[t.instance] = track_effect{};
    for (const auto& tr : tracks_) {
        if (tr.instance == t.instance) {
            add(totals_[t.instance], effect_of(tr.weight, tr.reverse, scripts_[tr.script].status));
        }
    }
    return {};
}

bool script_tracker::is_tracked(const std::string& script) const {
    return std::any_of(tracks_.begin(), tracks_.end(),
                       [&](const track& t) { return t.script == script; });
}

void script_tracker::tick(usec now, std::vector<tracker_action>& out) {
    for (auto& [name, s] : scripts_) {
        if (is_tracked(name) && (!s.next_run || now >= *s.next_run)) {
            run(s, now, out);
        }
    }
}

void script_tracker::run(tracked& s, usec now, std::vector<tracker_action>& out) {
    s.next_run = now + s.cfg.interval;
    if (s.running) {
        // keepalived logs this; vipgate also skips the run it announces.
        ++s.stats.skipped;
        out.push_back(tracker_log{"Track script " + s.cfg.name +
                                  " is already running, expect idle - skipping run"});
        return;
    }
    command cmd = s.cfg.cmd;
    cmd.timeout = s.cfg.timeout.value_or(s.cfg.interval);
    ++s.stats.runs;
    auto h = runner_.start(cmd, now);
    if (!h) {
        out.push_back(tracker_log{"vrrp_script " + s.cfg.name + ": " + h.message()});
        ++s.stats.spawn_failures;
        record(s, {end_kind::spawn_failed, 0}, out);
        return;
    }
    s.running = *h;
}

bool script_tracker::on_finished(const finished& f, std::vector<tracker_action>& out) {
    for (auto& [name, s] : scripts_) {
        if (s.running == f.id) {
            s.running.reset();
            if (f.status.kind == end_kind::timed_out) {
                ++s.stats.timeouts;
            }
            record(s, f.status, out);
            return true;
        }
    }
    return false;
}

void script_tracker::record(tracked& s, const exit_status& st, std::vector<tracker_action>& out) {
    s.stats.last = st;
    const bool ok = succeeded(st);
    ++(ok ? s.stats.successes : s.stats.failures);
    if (st.kind == end_kind::exited && st.code != s.last_code) {
        out.push_back(
            tracker_log{"Script `" + s.cfg.name + "` now returning " + std::to_string(st.code)});
        s.last_code = st.code;
    }
    if (auto to = count(s, ok)) {
        set_status(s, *to, st, out);
    }
}

// vrrp_script_child_thread(): the rise/fall counter.
std::optional<script_status> script_tracker::count(tracked& s, bool success) {
    const std::uint32_t rise = s.cfg.rise;
    const std::uint32_t top = rise + s.cfg.fall - 1;
    if (success) {
        if (s.result + 1 < rise) {
            ++s.result;
            return std::nullopt;
        }
        const bool rises = s.result < rise;
        s.result = top;
        return rises ? std::optional{script_status::ok} : std::nullopt;
    }
    if (s.result > rise) {
        --s.result;
        return std::nullopt;
    }
    const bool falls = s.result == rise || s.status == script_status::unknown;
    s.result = 0;
    return falls ? std::optional{script_status::failed} : std::nullopt;
}

void script_tracker::set_status(tracked& s, script_status to, const exit_status& st,
                                std::vector<tracker_action>& out) {
    const script_status from = s.status;
    s.status = to;
    out.push_back(script_changed{s.cfg.name, from, to, result_text(s.cfg.name, to, st)});
    std::map<std::string, track_effect, std::less<>> fresh;
    for (const auto& t : tracks_) {
        add(fresh[t.instance], effect_of(t.weight, t.reverse, scripts_[t.script].status));
    }
    for (auto& [instance, total] : fresh) {
        if (totals_[instance] != total) {
            totals_[instance] = total;
            out.push_back(instance_changed{
                instance, total, "script " + s.cfg.name + " " + std::string{status_name(to)}});
        }
    }
}

std::optional<usec> script_tracker::next_deadline() const {
    std::optional<usec> best;
    for (const auto& [name, s] : scripts_) {
        if (!is_tracked(name)) {
            continue;
        }
        const usec due = s.next_run.value_or(usec{0});
        best = best ? std::min(*best, due) : due;
    }
    return best;
}

script_status script_tracker::status(std::string_view script) const {
    const auto it = scripts_.find(script);
    return it == scripts_.end() ? script_status::unknown : it->second.status;
}

const script_counters* script_tracker::counters(std::string_view script) const {
    const auto it = scripts_.find(script);
    return it == scripts_.end() ? nullptr : &it->second.stats;
}

track_effect script_tracker::effect(std::string_view instance) const {
    const auto it = totals_.find(instance);
    return it == totals_.end() ? track_effect{} : it->second;
}

} // namespace vipgate::exec
