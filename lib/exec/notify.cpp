#include "exec/notify.hpp"

namespace vipgate::exec {
namespace {

command make(const script_line& line, usec timeout) {
    command c;
    c.argv = line.argv;
    c.user = line.user;
    c.timeout = timeout;
    return c;
}

const std::optional<script_line>& for_state(const vrrp_notify_scripts& s, vrrp_state st) {
    switch (st) {
    case vrrp_state::master:
        return s.master;
    case vrrp_state::backup:
        return s.backup;
    case vrrp_state::fault:
        return s.fault;
    case vrrp_state::stop:
        return s.stop;
    }
    return s.stop;
}

} // namespace

std::string_view kind_name(vrrp_kind k) noexcept {
    return k == vrrp_kind::group ? "GROUP" : "INSTANCE";
}

std::string_view state_name(vrrp_state s) noexcept {
    switch (s) {
    case vrrp_state::master:
        return "MASTER";
    case vrrp_state::backup:
        return "BACKUP";
    case vrrp_state::fault:
        return "FAULT";
    case vrrp_state::stop:
        return "STOP";
    }
    return "{UNKNOWN}";
}

std::vector<command> vrrp_notify_commands(const vrrp_notify_scripts& s, vrrp_kind kind,
                                          std::string_view name, vrrp_state state,
                                          std::uint8_t priority, usec timeout) {
    std::vector<command> out;
    if (const auto& specific = for_state(s, state)) {
        out.push_back(make(*specific, timeout));
    }
    if (s.generic) {
        // "notify ... is executed with 4 additional arguments after the
        // configured arguments" (man keepalived.conf, vrrp_sync_group).
        command c = make(*s.generic, timeout);
        const int prio = kind == vrrp_kind::group ? 0 : priority;
        c.argv.insert(c.argv.end(), {std::string{kind_name(kind)}, std::string{name},
                                     std::string{state_name(state)}, std::to_string(prio)});
        out.push_back(std::move(c));
    }
    return out;
}

std::vector<command> updown_commands(const std::optional<script_line>& up,
                                     const std::optional<script_line>& down, bool is_up,
                                     usec timeout) {
    const auto& line = is_up ? up : down;
    if (!line) {
        return {};
    }
    return {make(*line, timeout)};
}

std::string fifo_line(vrrp_kind kind, std::string_view name, vrrp_state state,
                      std::uint8_t priority) {
    const int prio = kind == vrrp_kind::group ? 0 : priority;
    return std::string{kind_name(kind)} + " \"" + std::string{name} + "\" " +
           std::string{state_name(state)} + " " + std::to_string(prio) + "\n";
}

std::string fifo_line(std::string_view instance, vrrp_event event, std::uint8_t priority) {
    const char* what = event == vrrp_event::master_rx_lower_pri ? "MASTER_RX_LOWER_PRI"
                       : event == vrrp_event::master_priority   ? "MASTER_PRIORITY"
                                                                : "BACKUP_PRIORITY";
    return "INSTANCE \"" + std::string{instance} + "\" " + what + " " + std::to_string(priority) +
           "\n";
}

std::string fifo_line_vs(std::string_view vs, bool up) {
    return "VS " + std::string{vs} + (up ? " UP\n" : " DOWN\n");
}

std::string fifo_line_rs(std::string_view rs, std::string_view vs, bool up) {
    return "RS " + std::string{rs} + " " + std::string{vs} + (up ? " UP\n" : " DOWN\n");
}

void notify_dispatcher::submit(std::string_view channel, std::vector<command> cmds, usec now,
                               std::vector<notify_action>& out) {
    if (cmds.empty()) {
        return;
    }
    ++stats_.transitions;
    auto it = channels_.find(channel);
    if (it == channels_.end()) {
        it = channels_.emplace(std::string{channel}, channel_state{}).first;
    }
    channel_state& c = it->second;
    c.waiting.push_back(std::move(cmds));
    std::uint64_t dropped = 0;
    while (c.waiting.size() > limits_.queue_per_channel) {
        c.waiting.pop_front();
        ++dropped;
    }
    if (dropped != 0) {
        c.dropped += dropped;
        stats_.dropped += dropped;
        out.push_back(notify_dropped{it->first, dropped, c.dropped});
    }
    if (!c.running) {
        start_next(it->first, c, now, out);
    }
}

void notify_dispatcher::start_next(const std::string& name, channel_state& c, usec now,
                                   std::vector<notify_action>& out) {
    while (!c.running) {
        if (c.current.empty()) {
            if (c.waiting.empty()) {
                return;
            }
            c.current = std::move(c.waiting.front());
            c.waiting.pop_front();
        }
        command cmd = std::move(c.current.front());
        c.current.erase(c.current.begin());
        const std::string text = quote_command(cmd.argv);
        ++stats_.started;
        auto h = runner_.start(cmd, now);
        if (!h) {
            ended(name, text, {end_kind::spawn_failed, 0}, out);
            std::get<notify_failed>(out.back()).detail = h.message();
            continue;
        }
        c.running = *h;
        c.running_command = text;
    }
}

bool notify_dispatcher::on_finished(const finished& f, usec now, std::vector<notify_action>& out) {
    for (auto& [name, c] : channels_) {
        if (c.running == f.id) {
            c.running.reset();
            ended(name, c.running_command, f.status, out);
            start_next(name, c, now, out);
            return true;
        }
    }
    return false;
}

void notify_dispatcher::ended(const std::string& name, const std::string& cmd,
                              const exit_status& st, std::vector<notify_action>& out) {
    if (succeeded(st)) {
        ++stats_.succeeded;
        return;
    }
    ++stats_.failed;
    if (st.kind == end_kind::timed_out) {
        ++stats_.timed_out;
    }
    out.push_back(notify_failed{name, cmd, st});
}

std::uint64_t notify_dispatcher::dropped(std::string_view channel) const {
    const auto it = channels_.find(channel);
    return it == channels_.end() ? 0 : it->second.dropped;
}

std::size_t notify_dispatcher::waiting(std::string_view channel) const {
    const auto it = channels_.find(channel);
    return it == channels_.end() ? 0 : it->second.waiting.size();
}

bool notify_dispatcher::busy(std::string_view channel) const {
    const auto it = channels_.find(channel);
    return it != channels_.end() && it->second.running.has_value();
}

} // namespace vipgate::exec
