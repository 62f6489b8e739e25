// `vrrp_instances` and `vrrp_sync_groups`: key tables in keepalived's names,
// read with yaml_util's read_fields, then vrrp_rules::check_vrrp() for what
// spans keys, instances and sections.

#include "config/vrrp_yaml.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "config/vrrp_check.hpp"

namespace vipgate::config::vrrp_yaml {

namespace {

using namespace std::chrono_literals;
using vrrp_rules::vrrp_entry;
using vrrp_rules::vrrp_group_entry;

constexpr std::string_view port_expected = "the name of a port defined in `ports`";
constexpr std::string_view vip_expected =
    "a sequence of at least one IPv4 address, such as [192.168.44.100, 192.168.44.101/32]";
constexpr std::string_view peers_expected =
    "a sequence of at least one unicast IPv4 address, such as [192.168.44.2]";
constexpr std::string_view address_expected = "a unicast IPv4 address a.b.c.d";
constexpr std::string_view auth_type_expected =
    "PASS or NONE (AH, the IPsec authentication header, is not supported)";
constexpr std::string_view auth_pass_expected = "a password; only its first 8 characters are sent";
constexpr std::string_view members_expected =
    "a sequence of at least one VRRP instance name, such as [VI_EXT, VI_INT]";

// ---- vrrp_instances ------------------------------------------------------------

struct instance_draft {
    vrrp_entry entry;
    std::optional<bool> preempt;   // `preempt`
    std::optional<bool> nopreempt; // `nopreempt`, keepalived's spelling
};

using draft_reader = field<instance_draft>::reader;

vrrp::instance_config& vrrp_of(instance_draft& d) {
    return d.entry.cfg.vrrp;
}

template <class Set>
field<instance_draft> uint_key(std::string_view key, uint_spec spec, Set set) {
    return {key, spec.expected(),
            [spec, set](diagnostics& d, const YAML::Node& n, const std::string& p,
                        instance_draft& out) {
                if (auto v = read_uint(d, n, p, spec)) {
                    set(vrrp_of(out), *v);
                }
            }};
}

template <class Set>
field<instance_draft> duration_key(std::string_view key, duration_spec spec, Set set) {
    return {key, spec.expected(),
            [spec, set](diagnostics& d, const YAML::Node& n, const std::string& p,
                        instance_draft& out) {
                auto v = read_duration(d, n, p, spec);
                if (!v) {
                    return;
                }
                // VRRP timers are kept in microseconds (keepalived's TIMER_HZ).
                if (v->count() % 1000 != 0) {
                    d.error(n, subject(p) + describe(n) + " is more precise than 1us",
                            spec.expected());
                    return;
                }
                set(vrrp_of(out), std::chrono::duration_cast<std::chrono::microseconds>(*v));
            }};
}

field<instance_draft> bool_key(std::string_view key, bool vrrp::instance_config::*member) {
    return {
        key, std::string(bool_expected),
        [member](diagnostics& d, const YAML::Node& n, const std::string& p, instance_draft& out) {
            if (auto v = read_bool(d, n, p)) {
                vrrp_of(out).*member = *v;
            }
        }};
}

// A unicast IPv4 address (no prefix), or nullopt after recording why not.
std::optional<net::ipv4_addr> read_unicast(diagnostics& d, const YAML::Node& n,
                                           const std::string& p) {
    auto a = read_ipv4_addr(d, n, p);
    if (!a) {
        return std::nullopt;
    }
    if (auto why = vrrp_rules::address_problem(*a)) {
        d.error(n, subject(p) + describe(n) + ' ' + *why, address_expected);
        return std::nullopt;
    }
    return a;
}

// A list of distinct unicast addresses; `allow_slash32` accepts "a.b.c.d/32".
void read_address_list(diagnostics& d, const YAML::Node& n, const std::string& p,
                       std::string_view expected, bool allow_slash32,
                       std::vector<net::ipv4_addr>& out) {
    std::map<std::uint32_t, source_location> seen;
    read_sequence(d, n, p, expected, 1, [&](const YAML::Node& item, const std::string& ip) {
        auto s = read_scalar(d, item, ip, expected);
        if (!s) {
            return;
        }
        std::string_view text = *s;
        if (allow_slash32 && text.size() > 3 && text.substr(text.size() - 3) == "/32") {
            text.remove_suffix(3);
        }
        if (text.find('/') != std::string_view::npos) {
            d.error(item,
                    subject(ip) + describe(item) +
                        (allow_slash32 ? " has a prefix length other than /32 (a virtual "
                                         "address is one host)"
                                       : " has a prefix length"),
                    expected);
            return;
        }
        auto a = net::ipv4_addr::parse(text);
        if (!a) {
            d.error(item, subject(ip) + describe(item) + " is not an IPv4 address", expected);
            return;
        }
        if (auto why = vrrp_rules::address_problem(*a)) {
            d.error(item, subject(ip) + describe(item) + ' ' + *why, expected);
            return;
        }
        auto [it, fresh] = seen.try_emplace(a->value, d.where(item));
        if (!fresh) {
            d.error(item,
                    subject(ip) + "duplicate address " + a->to_string() + " (first at line " +
                        std::to_string(it->second.line) + ", column " +
                        std::to_string(it->second.column) + ")",
                    "each address once");
            return;
        }
        out.push_back(*a);
    });
}

// ---- track_interface ------------------------------------------------------------

constexpr std::string_view track_expected =
    "a sequence of port names, each a name or a map {port: NAME, weight: -254..254, reverse: "
    "BOOL}, such as [int0, {port: int1, weight: -20}]";
constexpr std::string_view weight_expected = "an integer -254..254 (+-254 is used as +-253)";

using track_list = std::vector<track_interface_ref>;

// keepalived's `weight N` of a track_interface line: -254..254, +-254 used
// as +-253 with a warning (vrrp_track.c alloc_track_if).
std::optional<int> read_track_weight(diagnostics& d, const YAML::Node& n, const std::string& p) {
    auto s = read_scalar(d, n, p, weight_expected);
    if (!s) {
        return std::nullopt;
    }
    std::string_view text = *s;
    const bool negative = !text.empty() && text.front() == '-';
    if (negative || (!text.empty() && text.front() == '+')) {
        text.remove_prefix(1);
    }
    auto v = parse_uint(text, 0, 254);
    if (!v.ok()) {
        d.error(n, subject(p) + describe(n) + " " + v.message(), weight_expected);
        return std::nullopt;
    }
    int w = static_cast<int>(*v);
    if (w == 254) {
        w = 253;
        d.warning(d.where(n), subject(p) + "cannot be +/-254; " + (negative ? "-" : "") +
                                  "253 is used, as keepalived does");
    }
    return negative ? -w : w;
}

const std::vector<field<track_interface_ref>>& track_fields() {
    static const std::vector<field<track_interface_ref>> fields = {
        required(field<track_interface_ref>{"port", std::string(port_expected),
                                            [](diagnostics& d, const YAML::Node& n,
                                               const std::string& p, track_interface_ref& out) {
                                                if (auto s = read_string(d, n, p, port_expected)) {
                                                    out.port = std::move(*s);
                                                    out.where = d.where(n);
                                                }
                                            }}),
        field<track_interface_ref>{"weight", std::string(weight_expected),
                                   [](diagnostics& d, const YAML::Node& n, const std::string& p,
                                      track_interface_ref& out) {
                                       if (auto w = read_track_weight(d, n, p)) {
                                           out.weight = *w;
                                       }
                                   }},
        bool_field<track_interface_ref>("reverse", &track_interface_ref::reverse),
    };
    return fields;
}

// track_interface: [PORT | {port, weight, reverse}, ...]; the names are
// checked against `ports` by vrrp_rules::check_vrrp().
void read_track_interfaces(diagnostics& d, const YAML::Node& n, const std::string& p,
                           track_list& out) {
    read_sequence(d, n, p, track_expected, 0, [&](const YAML::Node& item, const std::string& ip) {
        track_interface_ref t;
        t.where = d.where(item);
        if (item.IsMap()) {
            const std::size_t before = d.count();
            if (read_fields(d, item, ip, track_fields(), t) && d.count() == before) {
                out.push_back(std::move(t));
            }
            return;
        }
        if (auto s = read_string(d, item, ip, track_expected)) {
            t.port = std::move(*s);
            out.push_back(std::move(t));
        }
    });
}

// ---- track_file ---------------------------------------------------------------

constexpr std::string_view file_track_expected =
    "a sequence of maps {file: PATH, weight: -254..254, reverse: BOOL}, such as "
    "[{file: /run/vipgate/prio, weight: -10}]";
constexpr std::string_view file_weight_expected = "an integer -254..254";

const std::vector<field<track_file_ref>>& file_track_fields() {
    static const std::vector<field<track_file_ref>> fields = {
        required(field<track_file_ref>{
            "file", "an absolute file path",
            [](diagnostics& d, const YAML::Node& n, const std::string& p, track_file_ref& out) {
                if (auto s = read_string(d, n, p, "an absolute file path")) {
                    if (s->empty() || s->front() != '/') {
                        d.error(n, subject(p) + describe(n) + " is not an absolute path",
                                "an absolute file path");
                        return;
                    }
                    out.path = *s;
                    out.name = std::move(*s);
                }
            }}),
        field<track_file_ref>{
            "weight", std::string(file_weight_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, track_file_ref& out) {
                auto s = read_scalar(d, n, p, file_weight_expected);
                if (!s) {
                    return;
                }
                std::string_view text = *s;
                const bool negative = !text.empty() && text.front() == '-';
                if (negative || (!text.empty() && text.front() == '+')) {
                    text.remove_prefix(1);
                }
                auto v = parse_uint(text, 0, 254);
                if (!v.ok()) {
                    d.error(n, subject(p) + describe(n) + " " + v.message(), file_weight_expected);
                    return;
                }
                out.weight = negative ? -static_cast<int>(*v) : static_cast<int>(*v);
            }},
        bool_field<track_file_ref>("reverse", &track_file_ref::reverse),
    };
    return fields;
}

// track_file: [{file, weight, reverse}, ...]: keepalived's track_file with
// the path in place of a track_file block (weight 1 by default, as
// keepalived's block); a path listed twice is a warning, the first counts.
void read_track_files(diagnostics& d, const YAML::Node& n, const std::string& p,
                      std::vector<track_file_ref>& out) {
    read_sequence(
        d, n, p, file_track_expected, 0, [&](const YAML::Node& item, const std::string& ip) {
            track_file_ref t;
            t.where = d.where(item);
            if (!item.IsMap()) {
                d.error(item, subject(ip) + describe(item) + " is not a map", file_track_expected);
                return;
            }
            const std::size_t before = d.count();
            if (!read_fields(d, item, ip, file_track_fields(), t) || d.count() != before) {
                return;
            }
            const auto dup = std::find_if(
                out.begin(), out.end(), [&](const track_file_ref& o) { return o.path == t.path; });
            if (dup != out.end()) {
                d.warning(t.where, subject(ip) + "duplicate track_file " + t.path + " (first at " +
                                       dup->where.to_string() + "); ignored");
                return;
            }
            out.push_back(std::move(t));
        });
}

// ---- authentication ----

struct auth_draft {
    std::optional<vrrp::auth_kind> kind;
    std::optional<std::string> pass;
};

const std::vector<field<auth_draft>>& auth_fields() {
    static const std::vector<field<auth_draft>> fields = {
        required(field<auth_draft>{
            "auth_type", std::string(auth_type_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, auth_draft& out) {
                auto s = read_string(d, n, p, auth_type_expected);
                if (!s) {
                    return;
                }
                if (*s == "PASS") {
                    out.kind = vrrp::auth_kind::pass;
                } else if (*s == "NONE") {
                    out.kind = vrrp::auth_kind::none;
                } else if (*s == "AH") {
                    d.error(n, subject(p) + "AH authentication is not supported",
                            auth_type_expected);
                } else {
                    d.error(n, subject(p) + describe(n) + " is not an authentication type",
                            auth_type_expected);
                }
            }}),
        field<auth_draft>{
            "auth_pass", std::string(auth_pass_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, auth_draft& out) {
                out.pass = read_string(d, n, p, auth_pass_expected);
            }},
    };
    return fields;
}

void read_authentication(diagnostics& d, const YAML::Node& n, const std::string& p,
                         instance_draft& out) {
    auth_draft a;
    const std::size_t before = d.count();
    if (!read_fields(d, n, p, auth_fields(), a) || d.count() != before || !a.kind) {
        return;
    }
    auto& v = vrrp_of(out);
    if (*a.kind == vrrp::auth_kind::none) {
        if (a.pass) {
            d.error(n["auth_pass"],
                    subject(child_path(p, "auth_pass")) + "is set with auth_type NONE",
                    "no auth_pass, or auth_type PASS");
        }
        v.auth = vrrp::auth_kind::none;
        v.auth_pass.clear();
        return;
    }
    if (!a.pass) {
        d.error(n, subject(p) + "missing required key 'auth_pass' for auth_type PASS",
                auth_pass_expected);
        return;
    }
    v.auth = vrrp::auth_kind::pass;
    v.auth_pass = *a.pass;
    if (v.auth_pass.size() > vrrp_rules::auth_pass_size) {
        // keepalived truncates too (vrrp_parser.c); the password itself is
        // not repeated in the message.
        v.auth_pass.resize(vrrp_rules::auth_pass_size);
        d.warning(d.where(n["auth_pass"]),
                  subject(child_path(p, "auth_pass")) +
                      "is longer than 8 characters; only the first 8 are used, as keepalived does");
    }
}

const std::string& auth_expected() {
    static const std::string s = detail::map_expected(field_keys(auth_fields()));
    return s;
}

const std::vector<field<instance_draft>>& instance_fields() {
    using v = vrrp::instance_config;
    static const std::vector<field<instance_draft>> fields = {
        required(field<instance_draft>{
            "name", std::string(vrrp_rules::name_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, instance_draft& out) {
                auto s = read_string(d, n, p, vrrp_rules::name_expected);
                if (!s) {
                    return;
                }
                if (!vrrp_rules::valid_name(*s)) {
                    d.error(n, subject(p) + describe(n) + " is not a valid instance name",
                            vrrp_rules::name_expected);
                    return;
                }
                vrrp_of(out).name = std::move(*s);
            }}),
        required(field<instance_draft>{
            "port", std::string(port_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, instance_draft& out) {
                if (auto s = read_string(d, n, p, port_expected)) {
                    out.entry.cfg.port = std::move(*s);
                }
            }}),
        required(uint_key("virtual_router_id", {.min = 1, .max = 255},
                          [](v& c, std::uint64_t x) { c.vrid = static_cast<std::uint8_t>(x); })),
        uint_key("priority", {.min = 1, .max = 255},
                 [](v& c, std::uint64_t x) { c.priority = static_cast<std::uint8_t>(x); }),
        field<instance_draft>{
            "state", std::string(vrrp_rules::state_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, instance_draft& out) {
                auto s = read_string(d, n, p, vrrp_rules::state_expected);
                if (!s) {
                    return;
                }
                if (auto st = vrrp_rules::parse_state(*s)) {
                    vrrp_of(out).initial_state = *st;
                } else {
                    d.error(n, subject(p) + describe(n) + " is not a state",
                            vrrp_rules::state_expected);
                }
            }},
        uint_key("version", {.min = 2, .max = 3},
                 [](v& c, std::uint64_t x) { c.version = static_cast<std::uint8_t>(x); }),
        duration_key("advert_int", {.min = 10ms, .max = 255s},
                     [](v& c, std::chrono::microseconds x) { c.advert_int = x; }),
        field<instance_draft>{"preempt", std::string(bool_expected),
                              [](diagnostics& d, const YAML::Node& n, const std::string& p,
                                 instance_draft& out) { out.preempt = read_bool(d, n, p); }},
        field<instance_draft>{"nopreempt", std::string(bool_expected),
                              [](diagnostics& d, const YAML::Node& n, const std::string& p,
                                 instance_draft& out) { out.nopreempt = read_bool(d, n, p); }},
        duration_key("preempt_delay", {.min = 0s, .max = 1000s},
                     [](v& c, std::chrono::microseconds x) { c.preempt_delay = x; }),
        bool_key("accept", &v::accept),
        field<instance_draft>{"authentication", auth_expected(), read_authentication},
        required(field<instance_draft>{
            "virtual_ipaddress", std::string(vip_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, instance_draft& out) {
                read_address_list(d, n, p, vip_expected, true, vrrp_of(out).virtual_addresses);
            }}),
        field<instance_draft>{"unicast_src_ip", std::string(address_expected),
                              [](diagnostics& d, const YAML::Node& n, const std::string& p,
                                 instance_draft& out) {
                                  if (auto a = read_unicast(d, n, p)) {
                                      vrrp_of(out).primary_address = *a;
                                  }
                              }},
        field<instance_draft>{
            "unicast_peer", std::string(peers_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, instance_draft& out) {
                read_address_list(d, n, p, peers_expected, false, vrrp_of(out).unicast_peers);
            }},
        bool_key("check_unicast_src", &v::check_unicast_src),
        bool_key("use_vmac", &v::use_vmac),
        duration_key("garp_master_delay", {.min = 0s, .max = 1h},
                     [](v& c, std::chrono::microseconds x) { c.garp_master_delay = x; }),
        uint_key(
            "garp_master_repeat", {.min = 1, .max = 1000},
            [](v& c, std::uint64_t x) { c.garp_master_repeat = static_cast<std::uint32_t>(x); }),
        duration_key("garp_master_refresh", {.min = 0s, .max = 24h},
                     [](v& c, std::chrono::microseconds x) { c.garp_master_refresh = x; }),
        uint_key("garp_master_refresh_repeat", {.min = 1, .max = 1000},
                 [](v& c, std::uint64_t x) {
                     c.garp_master_refresh_repeat = static_cast<std::uint32_t>(x);
                 }),
        duration_key("garp_lower_prio_delay", {.min = 0s, .max = 1h},
                     [](v& c, std::chrono::microseconds x) { c.garp_lower_prio_delay = x; }),
        uint_key("garp_lower_prio_repeat", {.min = 0, .max = 1000},
                 [](v& c, std::uint64_t x) {
                     c.garp_lower_prio_repeat = static_cast<std::uint32_t>(x);
                 }),
        bool_key("lower_prio_no_advert", &v::lower_prio_no_advert),
        bool_key("higher_prio_send_advert", &v::higher_prio_send_advert),
        field<instance_draft>{
            "track_interface", std::string(track_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, instance_draft& out) {
                read_track_interfaces(d, n, p, out.entry.cfg.track_interfaces);
            }},
        field<instance_draft>{
            "track_file", std::string(file_track_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, instance_draft& out) {
                read_track_files(d, n, p, out.entry.cfg.track_files);
            }},
    };
    return fields;
}

// ---- vrrp_sync_groups ------------------------------------------------------------

const std::vector<field<vrrp_group_entry>>& group_fields() {
    static const std::vector<field<vrrp_group_entry>> fields = {
        required(field<vrrp_group_entry>{
            "name", std::string(vrrp_rules::name_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, vrrp_group_entry& out) {
                auto s = read_string(d, n, p, vrrp_rules::name_expected);
                if (!s) {
                    return;
                }
                if (!vrrp_rules::valid_name(*s)) {
                    d.error(n, subject(p) + describe(n) + " is not a valid sync group name",
                            vrrp_rules::name_expected);
                    return;
                }
                out.cfg.name = std::move(*s);
                out.name_at = d.where(n);
            }}),
        required(field<vrrp_group_entry>{
            "group", std::string(members_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, vrrp_group_entry& out) {
                read_sequence(d, n, p, members_expected, 1,
                              [&](const YAML::Node& item, const std::string& ip) {
                                  if (auto s = read_string(d, item, ip, members_expected)) {
                                      out.cfg.members.push_back(std::move(*s));
                                      out.member_at.push_back(d.where(item));
                                  }
                              });
            }}),
        field<vrrp_group_entry>{
            "track_interface", std::string(track_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, vrrp_group_entry& out) {
                read_track_interfaces(d, n, p, out.cfg.track_interfaces);
            }},
        field<vrrp_group_entry>{
            "track_file", std::string(file_track_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, vrrp_group_entry& out) {
                read_track_files(d, n, p, out.cfg.track_files);
            }},
        field<vrrp_group_entry>{
            "sync_group_tracking_weight", std::string(bool_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, vrrp_group_entry& out) {
                if (auto v = read_bool(d, n, p)) {
                    out.cfg.tracking_weight = *v;
                }
            }},
    };
    return fields;
}

// Where each key's value sits (the key itself for an empty value), for
// messages from the cross checks.
void record_locations(const diagnostics& d, const YAML::Node& map,
                      std::map<std::string, source_location, std::less<>>& at) {
    for (auto it = map.begin(); it != map.end(); ++it) {
        const YAML::Node key = it->first;
        const YAML::Node value = it->second;
        if (key.IsScalar()) {
            at.try_emplace(key.Scalar(), d.where(value.IsNull() ? key : value));
        }
    }
}

} // namespace

const std::string& instances_expected() {
    static const std::string s = "a sequence of VRRP instances, each a map with keys " +
                                 join_keys(field_keys(instance_fields()));
    return s;
}

const std::string& groups_expected() {
    static const std::string s =
        "a sequence of sync groups, each a map with keys " + join_keys(field_keys(group_fields()));
    return s;
}

void read_vrrp_sections(diagnostics& diag, const YAML::Node& root, config& cfg) {
    std::vector<vrrp_entry> instances;
    std::vector<vrrp_group_entry> groups;

    const YAML::Node iseq = root["vrrp_instances"];
    if (iseq && !iseq.IsNull()) {
        read_sequence(
            diag, iseq, "vrrp_instances", instances_expected(), 0,
            [&](const YAML::Node& item, const std::string& path) {
                instance_draft d;
                d.entry.subject = path;
                d.entry.cfg.where = diag.where(item);
                const std::size_t before = diag.count();
                if (!read_fields(diag, item, path, instance_fields(), d)) {
                    return;
                }
                record_locations(diag, item, d.entry.at);
                if (d.preempt && d.nopreempt && *d.preempt == *d.nopreempt) {
                    diag.error(d.entry.where_of("nopreempt"),
                               subject(child_path(path, "nopreempt")) + "contradicts preempt",
                               "either preempt or nopreempt (keepalived's spelling), "
                               "or both agreeing");
                }
                vrrp_of(d).preempt = d.preempt ? *d.preempt : d.nopreempt ? !*d.nopreempt : true;
                d.entry.read_ok = diag.count() == before;
                instances.push_back(std::move(d.entry));
            });
    }

    const YAML::Node gseq = root["vrrp_sync_groups"];
    if (gseq && !gseq.IsNull()) {
        read_sequence(diag, gseq, "vrrp_sync_groups", groups_expected(), 0,
                      [&](const YAML::Node& item, const std::string& path) {
                          vrrp_group_entry g;
                          g.subject = path;
                          g.cfg.where = diag.where(item);
                          g.name_at = g.cfg.where;
                          if (read_fields(diag, item, path, group_fields(), g)) {
                              groups.push_back(std::move(g));
                          }
                      });
    }

    vrrp_rules::check_vrrp(diag, cfg.ports, instances, groups);
    for (auto& e : instances) {
        cfg.vrrp_instances.push_back(std::move(e.cfg));
    }
    for (auto& g : groups) {
        cfg.vrrp_sync_groups.push_back(std::move(g.cfg));
    }
}

void append_schema_keys(std::vector<std::string>& keys) {
    for (const auto& k : field_keys(instance_fields())) {
        keys.push_back("vrrp_instances[]." + std::string(k));
    }
    for (const auto& k : field_keys(auth_fields())) {
        keys.push_back("vrrp_instances[].authentication." + std::string(k));
    }
    for (const auto& k : field_keys(group_fields())) {
        keys.push_back("vrrp_sync_groups[]." + std::string(k));
    }
    for (const auto& k : field_keys(track_fields())) {
        keys.push_back("vrrp_instances[].track_interface[]." + std::string(k));
        keys.push_back("vrrp_sync_groups[].track_interface[]." + std::string(k));
    }
    for (const auto& k : field_keys(file_track_fields())) {
        keys.push_back("vrrp_instances[].track_file[]." + std::string(k));
        keys.push_back("vrrp_sync_groups[].track_file[]." + std::string(k));
    }
}

} // namespace vipgate::config::vrrp_yaml
