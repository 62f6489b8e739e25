#include "config/vrrp_check.hpp"

#include <algorithm>
#include <set>
#include <utility>

namespace vipgate::config::vrrp_rules {

namespace {

std::string at_text(const source_location& at) {
    return at.line > 0 ? at.to_string() : at.file;
}

// keepalived.conf spells some keys differently from the YAML sections.
std::string_view key_name(dialect syntax, std::string_view key) {
    if (syntax == dialect::keepalived && key == "port") {
        return "interface";
    }
    return key;
}

// normalize() prefixes its texts with "vrrp_instance NAME: " (errors) or
// "(NAME) " (warnings); our messages name the instance their own way.
std::string strip_instance_prefix(std::string text, const std::string& name) {
    for (const std::string& prefix : {"vrrp_instance " + name + ": ", "(" + name + ") "}) {
        if (text.rfind(prefix, 0) == 0) {
            return text.substr(prefix.size());
        }
    }
    return text;
}

// Which key a normalize() text is about, and what it wants. First match
// wins: "preempt_delay is incompatible with nopreempt" is about preempt_delay.
struct normalize_topic {
    std::string_view fragment;
    std::string_view key;
    std::string_view expected;
};

constexpr normalize_topic normalize_topics[] = {
    {"advert_int", "advert_int",
     "an advert_int of 1s..255s in whole seconds for VRRP version 2, or 10ms..40.95s in "
     "centiseconds for version 3"},
    {"preempt_delay", "preempt_delay", "a preempt_delay of 0s..1000s, with preemption on"},
    {"nopreempt", "nopreempt", "preemption on for priority 255 or state MASTER"},
    {"virtual address", "virtual_ipaddress", "1 to 255 distinct virtual addresses"},
    {"unicast_peer", "unicast_peer", "unicast peer addresses"},
    {"auth", "authentication", "authentication with VRRP version 2 only"},
    {"priority", "priority", "a priority 1..255"},
    {"virtual_router_id", "virtual_router_id", "a virtual_router_id 1..255"},
    {"version", "version", "version 2 or 3"},
    {"garp", "garp_master_delay", "GARP delays of at least 0s"},
};

const normalize_topic* topic_of(std::string_view text) {
    for (const auto& t : normalize_topics) {
        if (text.find(t.fragment) != std::string_view::npos) {
            return &t;
        }
    }
    return nullptr;
}

source_location topic_location(const vrrp_entry& e, const normalize_topic* t) {
    if (t == nullptr) {
        return e.cfg.where;
    }
    // `preempt: false` in YAML and `nopreempt` in keepalived.conf both land here.
    if (t->key == "nopreempt" && !e.at.contains("nopreempt")) {
        return e.where_of("preempt");
    }
    return e.where_of(t->key);
}

void check_normalize(diagnostics& diag, const vrrp_entry& e) {
    std::vector<std::string> warnings;
    auto n = vrrp::normalize(e.cfg.vrrp, &warnings);
    if (!n.ok()) {
        const std::string text = strip_instance_prefix(n.message(), e.cfg.vrrp.name);
        const normalize_topic* t = topic_of(text);
        diag.error(topic_location(e, t), e.subject + ": " + text,
                   t != nullptr ? t->expected : std::string_view("a valid VRRP instance"));
        return;
    }
    for (auto& w : warnings) {
        const std::string text = strip_instance_prefix(std::move(w), e.cfg.vrrp.name);
        diag.warning(topic_location(e, topic_of(text)), e.subject + ": " + text);
    }
}

std::string port_list(const std::vector<port_config>& ports) {
    std::string s;
    for (const auto& p : ports) {
        if (!s.empty()) {
            s += ", ";
        }
        s += p.name;
    }
    return s.empty() ? "a port defined in `ports`" : "one of the ports " + s;
}

void check_instances(diagnostics& diag, const std::vector<port_config>& ports,
                     const std::vector<vrrp_entry>& instances) {
    if (instances.size() > max_vrrp_instances) {
        const vrrp_entry& e = instances[max_vrrp_instances];
        diag.error(e.cfg.where,
                   e.subject + ": more than " + std::to_string(max_vrrp_instances) +
                       " VRRP instances (" + std::to_string(instances.size()) + " in all)",
                   "at most " + std::to_string(max_vrrp_instances) + " VRRP instances");
    }
    std::map<std::string, const vrrp_entry*, std::less<>> names;
    std::map<std::pair<std::string, unsigned>, const vrrp_entry*> vrids;
    for (const vrrp_entry& e : instances) {
        const std::string& name = e.cfg.vrrp.name;
        if (!name.empty()) {
            auto [it, fresh] = names.try_emplace(name, &e);
            if (!fresh) {
                diag.error(e.where_of("name"),
                           e.subject_of("name") + "duplicate VRRP instance name " + quote(name) +
                               " (first defined at " + at_text(it->second->where_of("name")) + ")",
                           "a unique name for every VRRP instance");
            }
        }
        const port_config* port = nullptr;
        for (const auto& p : ports) {
            if (p.name == e.cfg.port) {
                port = &p;
            }
        }
        if (port == nullptr && !e.cfg.port.empty() && !e.checked) {
            diag.error(e.where_of("port"),
                       e.subject_of("port") + "no port named " + quote(e.cfg.port),
                       port_list(ports));
        }
        if (!e.cfg.port.empty() && e.cfg.vrrp.vrid != 0) {
            auto [it, fresh] =
                vrids.try_emplace(std::pair(e.cfg.port, unsigned{e.cfg.vrrp.vrid}), &e);
            if (!fresh) {
                const vrrp_entry& first = *it->second;
                diag.error(e.where_of("virtual_router_id"),
                           e.subject_of("virtual_router_id") + "VRID " +
                               std::to_string(e.cfg.vrrp.vrid) + " is already used on port " +
                               quote(e.cfg.port) + " by " + first.subject + " (at " +
                               at_text(first.where_of("virtual_router_id")) + ")",
                           "a different virtual_router_id for every instance on a port (the VRID "
                           "selects the virtual MAC 00:00:5e:00:01:VRID)");
            }
        }
        if (e.checked || !e.read_ok) {
            continue;
        }
        check_normalize(diag, e);
        const net::ipv4_addr src = e.cfg.vrrp.primary_address;
        if (port != nullptr && src.value != 0 && src != port->address.addr) {
            diag.warning(e.where_of("unicast_src_ip"),
                         e.subject_of("unicast_src_ip") + src.to_string() +
                             " is not the address of port " + quote(port->name) + " (" +
                             port->address.addr.to_string() +
                             "): adverts are sent from it, but ARP for it is not answered");
        }
    }
}

void check_track_ports(diagnostics& diag, const std::vector<port_config>& ports,
                       const std::string& subject, const std::vector<track_interface_ref>& tracks) {
    for (const auto& t : tracks) {
        const bool known = std::any_of(ports.begin(), ports.end(),
                                       [&](const port_config& p) { return p.name == t.port; });
        if (!known) {
            diag.error(t.where, subject + ": track_interface: no port named " + quote(t.port),
                       port_list(ports));
        }
    }
}

// What sync_track_weight() changes in the track_file lines of an instance
// and of its sync group (scripts are noted by control::script_manager,
// which knows the scripts' weights).
void file_notes(const vrrp_instance_config& vi, const vrrp_sync_group_config* group,
                bool group_has_owner, std::vector<track_note>& notes) {
    track_context c{.in_group = group != nullptr,
                    .tracking_weight = group != nullptr && group->tracking_weight,
                    .owner = address_owner(vi),
                    .group_has_owner = group_has_owner};
    for (const auto& t : vi.track_files) {
        const auto w = sync_track_weight(track_kind::file, c, t.weight);
        if (!w.note.empty()) {
            notes.push_back({t.where, "track_file " + t.name + ": " + w.note, false});
        }
    }
    c.of_group = true;
    for (const auto& t : group != nullptr ? group->track_files : std::vector<track_file_ref>{}) {
        const auto w = sync_track_weight(track_kind::file, c, t.weight);
        if (!w.note.empty()) {
            notes.push_back({t.where, "track_file " + t.name + ": " + w.note, true});
        }
    }
}

// Unknown ports are errors; what tracked_interfaces() drops or changes is a
// warning (each once, also when several members share a group's line).
void check_tracking(diagnostics& diag, const std::vector<port_config>& ports,
                    const std::vector<vrrp_entry>& instances,
                    const std::vector<vrrp_group_entry>& groups) {
    for (const auto& e : instances) {
        if (!e.checked) {
            check_track_ports(diag, ports, e.subject, e.cfg.track_interfaces);
        }
    }
    for (const auto& g : groups) {
        if (!g.checked) {
            check_track_ports(diag, ports, g.subject, g.cfg.track_interfaces);
        }
    }
    std::set<std::pair<std::string, std::string>> said;
    for (const auto& e : instances) {
        const vrrp_group_entry* group = nullptr;
        for (const auto& g : groups) {
            if (std::find(g.cfg.members.begin(), g.cfg.members.end(), e.cfg.vrrp.name) !=
                g.cfg.members.end()) {
                group = &g;
            }
        }
        if (e.checked && (group == nullptr || group->checked)) {
            continue;
        }
        bool owner = false;
        if (group != nullptr) {
            for (const auto& m : instances) {
                const auto& names = group->cfg.members;
                owner = owner ||
                        (std::find(names.begin(), names.end(), m.cfg.vrrp.name) != names.end() &&
                         address_owner(m.cfg));
            }
        }
        std::vector<track_note> notes;
        (void)tracked_interfaces(e.cfg, group != nullptr ? &group->cfg : nullptr, owner, &notes);
        file_notes(e.cfg, group != nullptr ? &group->cfg : nullptr, owner, notes);
        for (const auto& n : notes) {
            const std::string text = (n.of_group ? group->subject : e.subject) + ": " + n.text;
            if (said.emplace(n.where.to_string(), text).second) {
                diag.warning(n.where, text);
            }
        }
    }
}

void check_groups(diagnostics& diag, const std::vector<vrrp_entry>& instances,
                  const std::vector<vrrp_group_entry>& groups) {
    std::map<std::string, const vrrp_entry*, std::less<>> by_name;
    for (const auto& e : instances) {
        by_name.try_emplace(e.cfg.vrrp.name, &e);
    }
    std::map<std::string, const vrrp_group_entry*, std::less<>> group_names;
    // instance name -> (group, where it was listed)
    std::map<std::string, std::pair<const vrrp_group_entry*, source_location>, std::less<>>
        member_of;
    for (const vrrp_group_entry& g : groups) {
        if (!g.cfg.name.empty()) {
            auto [it, fresh] = group_names.try_emplace(g.cfg.name, &g);
            if (!fresh) {
                diag.error(g.name_at,
                           g.subject + ": duplicate sync group name " + quote(g.cfg.name) +
                               " (first defined at " + at_text(it->second->name_at) + ")",
                           "a unique name for every sync group");
            }
        }
        for (std::size_t i = 0; i < g.cfg.members.size(); ++i) {
            const std::string& m = g.cfg.members[i];
            const source_location at = i < g.member_at.size() ? g.member_at[i] : g.cfg.where;
            if (g.checked) {
                member_of.try_emplace(m, &g, at);
                continue;
            }
            if (!by_name.contains(m)) {
                diag.error(at, g.subject + ": no VRRP instance named " + quote(m),
                           "names of VRRP instances");
                continue;
            }
            auto [it, fresh] = member_of.try_emplace(m, &g, at);
            if (!fresh) {
                const bool same = it->second.first == &g;
                diag.error(
                    at,
                    g.subject + ": instance " + quote(m) +
                        (same ? " is listed twice (first at "
                              : " is already a member of " + it->second.first->subject + " (at ") +
                        at_text(it->second.second) + ")",
                    "each VRRP instance in at most one sync group, once");
            }
        }
        if (!g.checked && g.cfg.members.size() == 1) {
            // keepalived: "Sync group %s has only 1 virtual router(s) - this
            // probably isn't what you want".
            diag.warning(g.cfg.where, g.subject + ": has only one member; a sync group of one "
                                                  "changes nothing");
        }
    }
}

} // namespace

bool valid_name(std::string_view s) {
    auto alnum = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    };
    if (s.empty() || s.size() > max_name_length || !alnum(s.front())) {
        return false;
    }
    for (char c : s) {
        if (!alnum(c) && c != '_' && c != '.' && c != '-' && c != ':') {
            return false;
        }
    }
    return true;
}

std::optional<std::string> address_problem(net::ipv4_addr a) {
    return host_address_problem(net::ipv4_prefix{a, 32});
}

std::optional<vrrp::state_hint> parse_state(std::string_view text) {
    if (text == "MASTER") {
        return vrrp::state_hint::master;
    }
    if (text == "BACKUP") {
        return vrrp::state_hint::backup;
    }
    return std::nullopt;
}

source_location vrrp_entry::where_of(std::string_view key) const {
    auto it = at.find(key);
    return it != at.end() ? it->second : cfg.where;
}

std::string vrrp_entry::subject_of(std::string_view key) const {
    if (syntax == dialect::yaml) {
        return subject + "." + std::string(key) + ": ";
    }
    if (key == "name") {
        return subject + ": "; // the subject already names the instance
    }
    return subject + ": " + std::string(key_name(syntax, key)) + ": ";
}

void check_vrrp(diagnostics& diag, const std::vector<port_config>& ports,
                const std::vector<vrrp_entry>& instances,
                const std::vector<vrrp_group_entry>& groups) {
    check_instances(diag, ports, instances);
    check_groups(diag, instances, groups);
    check_tracking(diag, ports, instances, groups);
}

} // namespace vipgate::config::vrrp_rules

namespace vipgate::config {

bool address_owner(const vrrp_instance_config& instance) {
    const auto& v = instance.vrrp;
    return v.priority.value_or(v.initial_state == vrrp::state_hint::master ? 255 : 100) == 255;
}

track_weight sync_track_weight(track_kind kind, const track_context& c, int weight) {
    track_weight out{true, weight, {}};
    if (weight == 0) {
        return out;
    }
    if (c.of_group) {
        if (c.group_has_owner) {
            // vrrp.c sync_group_tracking_init(): "Cannot have weighted track
            // ... with member having priority 255 - clearing weight".
            out.weight = 0;
            out.note = "weight cleared (FAULT instead), a member is an address owner "
                       "(priority 255), as keepalived does";
        }
        return out;
    }
    const bool cleared = (c.in_group && !c.tracking_weight) || c.owner;
    if (!cleared) {
        return out;
    }
    const std::string why = c.owner ? "the instance is an address owner (priority 255)"
                                    : "the instance is in a sync group without "
                                      "sync_group_tracking_weight";
    switch (kind) {
    case track_kind::script: // vrrp.c: "ignoring tracked script %s with weights"
        out.tracked = false;
        out.note = "weighted; not tracked: " + why + ", as keepalived does";
        break;
    case track_kind::file: // vrrp.c: weight 1 (the default) becomes 0, else ignored
        if (weight == 1) {
            out.weight = 0;
            out.note = "weight 1 used as 0 (FAULT while non-zero): " + why +
                       ", as keepalived does; write weight 0";
        } else {
            out.tracked = false;
            out.note = "weighted; not tracked: " + why + ", as keepalived does";
        }
        break;
    case track_kind::interface: // see config.hpp: keepalived keeps the weight
        break;
    }
    return out;
}

const vrrp_sync_group_config* sync_group_of(const config& cfg, const std::string& instance) {
    for (const auto& g : cfg.vrrp_sync_groups) {
        if (std::find(g.members.begin(), g.members.end(), instance) != g.members.end()) {
            return &g;
        }
    }
    return nullptr;
}

track_context track_context_of(const config& cfg, const vrrp_instance_config& instance,
                               bool of_group) {
    track_context c;
    c.of_group = of_group;
    c.owner = address_owner(instance);
    const auto* g = sync_group_of(cfg, instance.vrrp.name);
    if (g == nullptr) {
        return c;
    }
    c.in_group = true;
    c.tracking_weight = g->tracking_weight;
    for (const auto& other : cfg.vrrp_instances) {
        c.group_has_owner = c.group_has_owner || (std::find(g->members.begin(), g->members.end(),
                                                            other.vrrp.name) != g->members.end() &&
                                                  address_owner(other));
    }
    return c;
}

std::vector<track_interface_ref> tracked_interfaces(const vrrp_instance_config& instance,
                                                    const vrrp_sync_group_config* group,
                                                    bool group_has_owner,
                                                    std::vector<track_note>* notes) {
    const auto note = [&](const source_location& at, std::string text, bool of_group) {
        if (notes != nullptr) {
            notes->push_back({at, std::move(text), of_group});
        }
    };
    std::vector<track_interface_ref> out;
    const auto find = [&](const std::string& port) {
        return std::find_if(out.begin(), out.end(),
                            [&](const track_interface_ref& t) { return t.port == port; });
    };
    for (const auto& t : instance.track_interfaces) {
        if (t.port == instance.port) {
            // vrrp.c: "Ignoring track_interface %s since own interface".
            note(t.where,
                 "track_interface " + t.port +
                     " is the instance's own port, whose link it follows already; ignored",
                 false);
        } else if (auto it = find(t.port); it != out.end()) {
            // vrrp_track.c: "duplicate track_interface %s - ignoring".
            note(t.where,
                 "duplicate track_interface " + t.port + " (first at " + it->where.to_string() +
                     "); ignored",
                 false);
        } else {
            out.push_back(t);
        }
    }
    if (group == nullptr) {
        return out;
    }
    for (auto t : group->track_interfaces) {
        const auto w = sync_track_weight(track_kind::interface,
                                         {.of_group = true,
                                          .in_group = true,
                                          .tracking_weight = group->tracking_weight,
                                          .group_has_owner = group_has_owner},
                                         t.weight);
        if (!w.note.empty()) {
            note(t.where, "track_interface " + t.port + ": " + w.note, true);
        }
        t.weight = w.weight;
        if (t.port == instance.port) {
            note(t.where,
                 "track_interface " + t.port + " is the port of member " + instance.vrrp.name +
                     ", which follows its link already; ignored for it",
                 true);
        } else if (auto it = find(t.port); it != out.end()) {
            // vrrp.c add_vrrp_to_interface(): "track_interface %s is configured
            // on VRRP instance and sync group"; the group's weight unless the
            // instance's line is unweighted.
            note(t.where,
                 "track_interface " + t.port + " is also tracked by member " + instance.vrrp.name +
                     " (at " + it->where.to_string() + "); remove one of them",
                 true);
            if (it->weight != 0) {
                *it = t;
            }
        } else {
            out.push_back(t);
        }
    }
    return out;
}

} // namespace vipgate::config
