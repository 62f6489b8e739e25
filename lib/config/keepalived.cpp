// keepalived.conf keywords: global_defs defaults, vrrp_instance and
// vrrp_sync_group become vrrp_instances / vrrp_sync_groups, virtual_server
// becomes virtual_servers; every other keyword is a warning with its
// position (keepalived skips unknown keywords too, parser.c:3098). Values
// follow keepalived 2.2.7 (vrrp_parser.c, vrrp.c vrrp_complete_instance,
// check_parser.c, check_data.c; shared/reference checklist §2 and §3); the
// derivations that need the whole instance (priority from state, ...) are
// vrrp::normalize()'s, run by vrrp_rules::check_vrrp(), and the checks that
// span services are lb_rules::check_lb()'s.

#include "config/keepalived.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

#include "config/lb_check.hpp"
#include "config/vrrp_check.hpp"
#include "config/yaml_util.hpp"

namespace vipgate::config {

namespace {

using namespace std::chrono_literals;
using keepalived::statement;
using keepalived::token;
using std::chrono::microseconds;
using vrrp_rules::vrrp_entry;
using vrrp_rules::vrrp_group_entry;

// ---- keywords vipgate reads past ------------------------------------------------------

struct ignored_keyword {
    std::string_view keyword;
    std::string_view why; // appended to "KEYWORD is not supported"
};

// Top level blocks other than global_defs, vrrp_instance, vrrp_sync_group.
constexpr ignored_keyword top_ignored[] = {
    {"vrrp_script", " (track_script is not supported)"},
    {"vrrp_track_file", " (track_file is not supported)"},
    {"vrrp_track_process", " (track_process is not supported)"},
    {"static_ipaddress", " (vipgate owns no kernel addresses)"},
    {"static_routes", " (vipgate owns no kernel routes)"},
    {"static_rules", " (vipgate owns no kernel rules)"},
    {"garp_group", ""},
    {"linkbeat_interfaces", ""},
    {"bfd_instance", " (track_bfd is not supported)"},
};

// Inside vrrp_instance.
constexpr ignored_keyword instance_ignored[] = {
    {"track_interface", " (no tracking: the instance follows its own port's link)"},
    {"track_script", " (no tracking)"},
    {"track_file", " (no tracking)"},
    {"track_process", " (no tracking)"},
    {"track_bfd", " (no tracking)"},
    {"track_src_ip", ""},
    {"dont_track_primary", ""},
    {"notify", " (no notify scripts)"},
    {"notify_master", " (no notify scripts)"},
    {"notify_backup", " (no notify scripts)"},
    {"notify_fault", " (no notify scripts)"},
    {"notify_stop", " (no notify scripts)"},
    {"notify_deleted", " (no notify scripts)"},
    {"notify_master_rx_lower_pri", " (no notify scripts)"},
    {"notify_priority_changes", " (no notify scripts)"},
    {"smtp_alert", " (no e-mail)"},
    {"debug", ""},
    {"skip_check_adv_addr", " (every advert's address list is checked)"},
    {"strict_mode", " (the instance runs as without vrrp_strict)"},
    {"linkbeat_use_polling", ""},
    {"promote_secondaries", " (vipgate owns no kernel addresses)"},
    {"native_ipv6", " (IPv4 only)"},
    {"virtual_routes", " (vipgate owns no kernel routes)"},
    {"virtual_rules", " (vipgate owns no kernel rules)"},
    {"vmac_xmit_base", ""},
    {"old_unicast_checksum", ""},
    {"kernel_rx_buf_size", ""},
    {"garp_extra_if", ""},
    {"unicast_fault_no_peer", ""},
    {"lvs_sync_daemon_interface", ""},
};

// Inside virtual_server.
constexpr ignored_keyword vs_ignored[] = {
    {"sorry_server", " (no sorry server: with every real server down, new connections fail)"},
    {"sorry_server_inhibit", " (no sorry server)"},
    {"sorry_server_lvs_method", " (no sorry server)"},
    {"quorum", " (no quorum: the service stays configured with any number of live servers)"},
    {"quorum_up", " (no quorum scripts)"},
    {"quorum_down", " (no quorum scripts)"},
    {"hysteresis", " (no quorum)"},
    {"alpha", " (real servers start as up, keepalived's default)"},
    {"omega", " (no quorum scripts)"},
    {"smtp_alert", " (no e-mail)"},
    {"ha_suspend", ""},
    {"virtualhost", " (only HTTP checkers use it)"},
    {"warmup", ""},
    {"persistence_engine", ""},
    {"hashed", ""},
    {"ops", " (no one-packet scheduling)"},
    {"flag-1", ""},
    {"flag-2", ""},
    {"flag-3", ""},
    {"weight", ""},
    {"notify_up", " (no notify scripts)"},
    {"notify_down", " (no notify scripts)"},
};

// Inside real_server.
constexpr ignored_keyword rs_ignored[] = {
    {"notify_up", " (no notify scripts)"},
    {"notify_down", " (no notify scripts)"},
    {"smtp_alert", " (no e-mail)"},
    {"virtualhost", " (only HTTP checkers use it)"},
    {"alpha", " (real servers start as up, keepalived's default)"},
    {"uthreshold", " (no connection thresholds)"},
    {"lthreshold", " (no connection thresholds)"},
    {"warmup", ""},
};

// Inside TCP_CHECK.
constexpr ignored_keyword check_ignored[] = {
    {"bindto", " (vipgate chooses the check's source address)"},
    {"bind_port", " (vipgate chooses the check's source port)"},
    {"bind_if", " (vipgate chooses the check's source address)"},
    {"warmup", ""},
    {"fwmark", ""},
    {"alpha", " (real servers start as up, keepalived's default)"},
};

// Inside vrrp_sync_group, besides `group`.
constexpr ignored_keyword group_ignored[] = {
    {"track_interface", " (no tracking)"},
    {"track_script", " (no tracking)"},
    {"track_file", " (no tracking)"},
    {"track_process", " (no tracking)"},
    {"track_bfd", " (no tracking)"},
    {"notify", " (no notify scripts)"},
    {"notify_master", " (no notify scripts)"},
    {"notify_backup", " (no notify scripts)"},
    {"notify_fault", " (no notify scripts)"},
    {"notify_stop", " (no notify scripts)"},
    {"smtp_alert", " (no e-mail)"},
    {"global_tracking", " (no tracking)"},
    {"sync_group_tracking_weight", " (no tracking)"},
};

template <std::size_t N>
const ignored_keyword* find_ignored(const ignored_keyword (&table)[N], std::string_view kw) {
    for (const auto& k : table) {
        if (k.keyword == kw) {
            return &k;
        }
    }
    return nullptr;
}

// ---- defaults from global_defs ---------------------------------------------------------

struct global_defaults {
    // Copied into an instance when its vrrp_instance starts, as keepalived's
    // alloc_vrrp() does: a global_defs after the instance does not change it.
    microseconds garp_master_delay = 5s;
    std::uint32_t garp_master_repeat = 5;
    microseconds garp_master_refresh{0};
    std::uint32_t garp_master_refresh_repeat = 1;
    // Applied when the instance is completed (vrrp_complete_instance), so
    // their position in the file does not matter.
    std::optional<std::uint8_t> version;
    std::optional<microseconds> garp_lower_prio_delay;
    std::optional<std::uint32_t> garp_lower_prio_repeat;
    std::optional<bool> lower_prio_no_advert;
    std::optional<bool> higher_prio_send_advert;
};

struct instance_draft {
    vrrp_entry entry;
    source_location keyword_at;
    std::size_t errors_before = 0;
    bool has_vrid = false; // the keyword was written (its value may be wrong)
    // Explicit in the instance: the global default does not apply.
    std::optional<std::uint8_t> version;
    std::optional<bool> lower_prio_no_advert;
    std::optional<bool> higher_prio_send_advert;
    std::vector<token> vip_devs; // `dev X` of virtual_ipaddress lines
    std::map<std::uint32_t, source_location> vips;
    std::map<std::uint32_t, source_location> peers;
};

struct rs_draft {
    lb_rules::rs_entry entry;
    std::vector<token> other_checkers; // HTTP_GET, MISC_CHECK, ...: warned at the end
};

struct vs_draft {
    lb_rules::vs_entry entry;
    source_location keyword_at;
    std::size_t errors_before = 0;
    bool protocol_given = false;
    bool scheduler_given = false;
    bool kind_given = false;
    bool timeout_given = false;
};

class importer {
  public:
    importer(diagnostics& diag, const config& base) : diag_(diag), base_(base) {}

    void run(const std::vector<statement>& top);

    std::vector<instance_draft>& instances() { return instances_; }
    std::vector<vrrp_group_entry>& groups() { return groups_; }
    std::vector<lb_rules::vs_entry>& virtual_servers() { return virtual_servers_; }

  private:
    // ---- shapes ----
    void warn_ignored(const std::string& where, const statement& st, const ignored_keyword* k);
    bool no_block(const std::string& where, const statement& st);
    // The statement has a block and at most `args` arguments before it
    // (more are a warning).
    bool need_block(const std::string& where, const statement& st, std::size_t args = 0);
    const token* one_arg(const std::string& where, const statement& st, std::string_view expected);
    void no_args(const std::string& where, const statement& st);
    // ---- values ----
    std::optional<std::uint64_t> uint_arg(const std::string& where, const statement& st,
                                          const uint_spec& spec);
    std::optional<microseconds> seconds_arg(const std::string& where, const statement& st,
                                            const duration_spec& spec, bool whole_seconds);
    std::optional<bool> flag_arg(const std::string& where, const statement& st);
    std::optional<net::ipv4_addr> address(const std::string& where, const token& t,
                                          std::string_view what, bool allow_prefix);
    std::optional<net::ipv4_addr> lb_address(const std::string& where, const token& t,
                                             std::string_view what);
    std::optional<std::chrono::milliseconds> ms_arg(const std::string& where, const statement& st,
                                                    const duration_spec& spec);
    // delay_loop, connect_timeout, retry, delay_before_retry at any level;
    // false when `st` is none of them.
    bool check_setting(const std::string& where, const statement& st, lb_rules::check_settings& out,
                       lb_rules::location_map& at);
    // ---- sections ----
    void global_defs(const statement& st);
    void vrrp_instance(const statement& st);
    void instance_keyword(instance_draft& d, const statement& st);
    void authentication(instance_draft& d, const statement& st);
    void virtual_ipaddress(instance_draft& d, const statement& st);
    void unicast_peer(instance_draft& d, const statement& st);
    void finish_instance(instance_draft& d);
    void vrrp_sync_group(const statement& st);
    void complete(instance_draft& d) const;
    void virtual_server(const statement& st);
    void vs_keyword(vs_draft& d, const statement& st);
    void finish_virtual_server(vs_draft& d);
    void real_server(vs_draft& d, const statement& st);
    void rs_keyword(rs_draft& r, const statement& st);
    void tcp_check(rs_draft& r, const statement& st);

    diagnostics& diag_;
    const config& base_;
    global_defaults globals_;
    std::vector<instance_draft> instances_;
    std::vector<vrrp_group_entry> groups_;
    std::vector<lb_rules::vs_entry> virtual_servers_;
};

// "vrrp_instance VI_1: priority", or the keyword alone at the top level.
std::string kw_subject(const std::string& where, const statement& st) {
    return where.empty() ? st.keyword.text : where + ": " + st.keyword.text;
}

// ---- shapes ------------------------------------------------------------------------

void importer::warn_ignored(const std::string& where, const statement& st,
                            const ignored_keyword* k) {
    const std::string block = st.has_block ? " (with its block)" : "";
    const std::string prefix = where.empty() ? std::string() : where + ": ";
    if (k != nullptr) {
        diag_.warning(st.keyword.at, prefix + st.keyword.text + " is not supported by vipgate" +
                                         std::string(k->why) + "; ignored" + block);
    } else {
        diag_.warning(st.keyword.at, prefix + "unknown keyword " + quote(st.keyword.text) +
                                         "; ignored" + block + ", as keepalived does");
    }
}

bool importer::no_block(const std::string& where, const statement& st) {
    if (st.has_block) {
        diag_.error(st.block_at, kw_subject(where, st) + " does not take a block",
                    st.keyword.text + " and its value on one line");
        return false;
    }
    return true;
}

bool importer::need_block(const std::string& where, const statement& st, std::size_t args) {
    if (!st.has_block) {
        diag_.error(st.keyword.at, kw_subject(where, st) + " has no { ... } block",
                    st.keyword.text + " followed by a { ... } block");
        return false;
    }
    if (st.args.size() > args) {
        diag_.warning(st.args[args].at, kw_subject(where, st) + ": " + quote(st.args[args].text) +
                                            " before the block ignored, as keepalived does");
    }
    return true;
}

const token* importer::one_arg(const std::string& where, const statement& st,
                               std::string_view expected) {
    if (!no_block(where, st)) {
        return nullptr;
    }
    if (st.args.empty()) {
        diag_.error(st.keyword.at, kw_subject(where, st) + " has no value", expected);
        return nullptr;
    }
    if (st.args.size() > 1) {
        diag_.warning(st.args[1].at, kw_subject(where, st) + ": extra arguments after " +
                                         quote(st.args[0].text) + " ignored, as keepalived does");
    }
    return &st.args[0];
}

void importer::no_args(const std::string& where, const statement& st) {
    if (no_block(where, st) && !st.args.empty()) {
        diag_.warning(st.args[0].at, kw_subject(where, st) + " takes no value; " +
                                         quote(st.args[0].text) + " ignored, as keepalived does");
    }
}

// ---- values --------------------------------------------------------------------------

std::optional<std::uint64_t> importer::uint_arg(const std::string& where, const statement& st,
                                                const uint_spec& spec) {
    const std::string expected = spec.expected();
    const token* t = one_arg(where, st, expected);
    if (t == nullptr) {
        return std::nullopt;
    }
    auto v = spec.parse(t->text);
    if (!v.ok()) {
        diag_.error(t->at, kw_subject(where, st) + " " + quote(t->text) + " " + v.message(),
                    expected);
        return std::nullopt;
    }
    return *v;
}

// keepalived writes times as plain numbers of seconds: "1", "0.5"
// (advert_int, preempt_delay) or whole seconds only (the garp delays).
std::optional<microseconds> importer::seconds_arg(const std::string& where, const statement& st,
                                                  const duration_spec& spec, bool whole_seconds) {
    const auto secs = [](std::chrono::nanoseconds d) {
        return std::chrono::duration<double>(d).count();
    };
    auto number = [](double x) {
        std::string s = std::to_string(x);
        s.erase(s.find_last_not_of('0') + 1);
        if (!s.empty() && s.back() == '.') {
            s.pop_back();
        }
        return s;
    };
    const std::string expected =
        (whole_seconds ? "a whole number of seconds " : "a number of seconds ") +
        number(secs(spec.min)) + ".." + number(secs(spec.max)) +
        (whole_seconds ? "" : ", such as 1 or 0.5");
    const token* t = one_arg(where, st, expected);
    if (t == nullptr) {
        return std::nullopt;
    }
    bool plain = !t->text.empty();
    bool dot = false;
    for (char c : t->text) {
        if (c == '.' && !dot && !whole_seconds) {
            dot = true;
        } else if (c < '0' || c > '9') {
            plain = false;
        }
    }
    if (!plain) {
        diag_.error(t->at,
                    kw_subject(where, st) + " " + quote(t->text) + " is not a " +
                        (whole_seconds ? "whole " : "") + "number of seconds",
                    expected);
        return std::nullopt;
    }
    auto v = spec.parse(t->text); // no unit: seconds
    if (!v.ok()) {
        diag_.error(t->at, kw_subject(where, st) + " " + quote(t->text) + " " + v.message(),
                    expected);
        return std::nullopt;
    }
    return std::chrono::duration_cast<microseconds>(*v);
}

// keepalived's optional boolean: a bare keyword means true.
std::optional<bool> importer::flag_arg(const std::string& where, const statement& st) {
    if (!no_block(where, st)) {
        return std::nullopt;
    }
    if (st.args.empty()) {
        return true;
    }
    auto v = parse_bool(st.args[0].text);
    if (!v) {
        diag_.error(st.args[0].at,
                    kw_subject(where, st) + " " + quote(st.args[0].text) + " is not a boolean",
                    "nothing (true), or on/off, true/false, yes/no");
    }
    return v;
}

std::optional<net::ipv4_addr> importer::address(const std::string& where, const token& t,
                                                std::string_view what, bool allow_prefix) {
    const std::string expected =
        allow_prefix ? "an IPv4 address a.b.c.d, optionally with a prefix length /0../32"
                     : "an IPv4 address a.b.c.d";
    std::string_view text = t.text;
    if (text.find(':') != std::string_view::npos) {
        diag_.error(t.at,
                    where + ": " + std::string(what) + " " + quote(t.text) +
                        " is an IPv6 address (vipgate's VRRP is IPv4 only)",
                    expected);
        return std::nullopt;
    }
    const auto slash = text.find('/');
    if (slash != std::string_view::npos) {
        // The prefix only matters to the kernel address keepalived would add.
        if (!allow_prefix || !parse_uint(text.substr(slash + 1), 0, 32).ok()) {
            diag_.error(
                t.at,
                where + ": " + std::string(what) + " " + quote(t.text) +
                    (allow_prefix ? " has an invalid prefix length" : " has a prefix length"),
                expected);
            return std::nullopt;
        }
        text = text.substr(0, slash);
    }
    auto a = net::ipv4_addr::parse(text);
    if (!a) {
        diag_.error(t.at,
                    where + ": " + std::string(what) + " " + quote(t.text) +
                        " is not an IPv4 address",
                    expected);
        return std::nullopt;
    }
    if (auto why = vrrp_rules::address_problem(*a)) {
        diag_.error(t.at, where + ": " + std::string(what) + " " + quote(t.text) + " " + *why,
                    "a unicast IPv4 address");
        return std::nullopt;
    }
    return a;
}

// ---- global_defs -----------------------------------------------------------------------

void importer::global_defs(const statement& st) {
    const std::string where = "global_defs";
    if (!need_block({}, st)) {
        return;
    }
    for (const statement& s : st.block) {
        const std::string_view kw = s.keyword.text;
        if (kw == "vrrp_version") {
            if (auto v = uint_arg(where, s, {.min = 2, .max = 3})) {
                globals_.version = static_cast<std::uint8_t>(*v);
            }
        } else if (kw == "router_id") {
            (void)one_arg(where, s, "a name for this node"); // informational only
        } else if (kw == "vrrp_garp_master_delay" || kw == "vrrp_garp_master_repeat" ||
                   kw == "vrrp_garp_master_refresh" || kw == "vrrp_garp_master_refresh_repeat") {
            if (!instances_.empty()) {
                diag_.warning(s.keyword.at,
                              where + ": " + std::string(kw) +
                                  " after a vrrp_instance applies only to the instances that "
                                  "follow it, as in keepalived");
            }
            if (kw == "vrrp_garp_master_delay") {
                if (auto v = seconds_arg(where, s, {.min = 0s, .max = 1h}, true)) {
                    globals_.garp_master_delay = *v;
                }
            } else if (kw == "vrrp_garp_master_repeat") {
                if (auto v = uint_arg(where, s, {.min = 1, .max = 1000})) {
                    globals_.garp_master_repeat = static_cast<std::uint32_t>(*v);
                }
            } else if (kw == "vrrp_garp_master_refresh") {
                if (auto v = seconds_arg(where, s, {.min = 0s, .max = 24h}, true)) {
                    globals_.garp_master_refresh = *v;
                }
            } else if (auto v = uint_arg(where, s, {.min = 1, .max = 1000})) {
                globals_.garp_master_refresh_repeat = static_cast<std::uint32_t>(*v);
            }
        } else if (kw == "vrrp_garp_lower_prio_delay") {
            if (auto v = seconds_arg(where, s, {.min = 0s, .max = 1h}, true)) {
                globals_.garp_lower_prio_delay = *v;
            }
        } else if (kw == "vrrp_garp_lower_prio_repeat") {
            if (auto v = uint_arg(where, s, {.min = 0, .max = 1000})) {
                globals_.garp_lower_prio_repeat = static_cast<std::uint32_t>(*v);
            }
        } else if (kw == "vrrp_lower_prio_no_advert") {
            if (auto v = flag_arg(where, s)) {
                globals_.lower_prio_no_advert = *v;
            }
        } else if (kw == "vrrp_higher_prio_send_advert") {
            if (auto v = flag_arg(where, s)) {
                globals_.higher_prio_send_advert = *v;
            }
        } else if (kw == "vrrp_rt_priority" || kw == "vrrp_priority") {
            static constexpr ignored_keyword rt{
                "", " (vipgate's control core has its own setting: dataplane.control_rt_priority "
                    "in the YAML, a SCHED_FIFO priority)"};
            warn_ignored(where, s, &rt);
        } else if (kw == "vrrp_strict") {
            static constexpr ignored_keyword strict{
                "vrrp_strict", " (instances run as without it: accept stays on and "
                               "authentication is allowed)"};
            warn_ignored(where, s, &strict);
        } else {
            static constexpr ignored_keyword other{"", ""};
            warn_ignored(where, s, &other);
        }
    }
}

// ---- vrrp_instance ----------------------------------------------------------------------

void importer::vrrp_instance(const statement& st) {
    if (st.args.size() != 1) {
        diag_.error(st.keyword.at, "vrrp_instance needs exactly one name",
                    "vrrp_instance NAME { ... }");
        return;
    }
    const token& name = st.args[0];
    const std::string where = "vrrp_instance " + name.text;
    if (!vrrp_rules::valid_name(name.text)) {
        diag_.error(name.at, "vrrp_instance " + quote(name.text) + " is not a valid instance name",
                    vrrp_rules::name_expected);
        return;
    }
    if (!need_block({}, st, 1)) {
        return;
    }
    instance_draft d;
    d.errors_before = diag_.count();
    d.keyword_at = st.keyword.at;
    d.entry.syntax = vrrp_rules::dialect::keepalived;
    d.entry.subject = where;
    d.entry.cfg.where = st.keyword.at;
    d.entry.at["name"] = name.at;
    auto& v = d.entry.cfg.vrrp;
    v.name = name.text;
    v.garp_master_delay = globals_.garp_master_delay;
    v.garp_master_repeat = globals_.garp_master_repeat;
    v.garp_master_refresh = globals_.garp_master_refresh;
    v.garp_master_refresh_repeat = globals_.garp_master_refresh_repeat;
    for (const statement& s : st.block) {
        instance_keyword(d, s);
    }
    finish_instance(d);
    instances_.push_back(std::move(d));
}

void importer::instance_keyword(instance_draft& d, const statement& s) {
    const std::string& where = d.entry.subject;
    auto& v = d.entry.cfg.vrrp;
    auto& at = d.entry.at;
    const std::string_view kw = s.keyword.text;
    const auto here = [&](std::string_view key) {
        at[std::string(key)] = s.args.empty() ? s.keyword.at : s.args[0].at;
    };

    if (kw == "interface") {
        if (const token* t = one_arg(where, s, "a port name from the YAML configuration")) {
            d.entry.cfg.port = t->text; // vrrp_rules::check_vrrp checks that it exists
            here("port");
        }
    } else if (kw == "state") {
        if (const token* t = one_arg(where, s, vrrp_rules::state_expected)) {
            here("state");
            if (auto hint = vrrp_rules::parse_state(t->text)) {
                v.initial_state = *hint;
            } else {
                // vrrp_parser.c: "unknown state '%s', defaulting to BACKUP".
                diag_.warning(t->at,
                              kw_subject(where, s) + " " + quote(t->text) +
                                  " is not MASTER or BACKUP; BACKUP used, as keepalived does");
                v.initial_state = vrrp::state_hint::backup;
            }
        }
    } else if (kw == "virtual_router_id") {
        d.has_vrid = true;
        if (auto x = uint_arg(where, s, {.min = 1, .max = 255})) {
            v.vrid = static_cast<std::uint8_t>(*x);
            here("virtual_router_id");
        }
    } else if (kw == "priority") {
        if (auto x = uint_arg(where, s, {.min = 1, .max = 255})) {
            v.priority = static_cast<std::uint8_t>(*x);
            here("priority");
        }
    } else if (kw == "version") {
        if (auto x = uint_arg(where, s, {.min = 2, .max = 3})) {
            d.version = static_cast<std::uint8_t>(*x);
            here("version");
        }
    } else if (kw == "advert_int") {
        if (auto x = seconds_arg(where, s, {.min = 10ms, .max = 255s}, false)) {
            v.advert_int = *x;
            here("advert_int");
        }
    } else if (kw == "nopreempt" || kw == "preempt") {
        // `preempt` is keepalived's backwards-compatible opposite.
        no_args(where, s);
        v.preempt = kw == "preempt";
        here(kw);
    } else if (kw == "preempt_delay") {
        if (auto x = seconds_arg(where, s, {.min = 0s, .max = 1000s}, false)) {
            v.preempt_delay = *x;
            here("preempt_delay");
        }
    } else if (kw == "accept" || kw == "no_accept") {
        no_args(where, s);
        v.accept = kw == "accept";
        here("accept");
    } else if (kw == "authentication") {
        authentication(d, s);
    } else if (kw == "virtual_ipaddress") {
        virtual_ipaddress(d, s);
    } else if (kw == "virtual_ipaddress_excluded") {
        static constexpr ignored_keyword excluded{
            "virtual_ipaddress_excluded",
            " (excluded addresses are neither advertised nor owned by vipgate)"};
        warn_ignored(where, s, &excluded);
    } else if (kw == "unicast_src_ip" || kw == "mcast_src_ip") {
        // Both set keepalived's saddr: the advert source and tie-break address.
        if (const token* t = one_arg(where, s, "an IPv4 address a.b.c.d")) {
            if (auto a = address(where, *t, kw, false)) {
                v.primary_address = *a;
                here("unicast_src_ip");
            }
        }
    } else if (kw == "unicast_peer") {
        unicast_peer(d, s);
    } else if (kw == "use_vmac") {
        if (no_block(where, s)) {
            v.use_vmac = true;
            here("use_vmac");
            if (!s.args.empty()) {
                diag_.warning(s.args[0].at,
                              kw_subject(where, s) +
                                  ": the interface name and MAC are ignored; vipgate sends from "
                                  "00:00:5e:00:01:VRID on the port itself");
            }
        }
    } else if (kw == "check_unicast_src") {
        if (auto x = flag_arg(where, s)) {
            v.check_unicast_src = *x;
            here("check_unicast_src");
        }
    } else if (kw == "garp_master_delay") {
        if (auto x = seconds_arg(where, s, {.min = 0s, .max = 1h}, true)) {
            v.garp_master_delay = *x;
            here(kw);
        }
    } else if (kw == "garp_master_repeat") {
        if (auto x = uint_arg(where, s, {.min = 1, .max = 1000})) {
            v.garp_master_repeat = static_cast<std::uint32_t>(*x);
            here(kw);
        }
    } else if (kw == "garp_master_refresh") {
        if (auto x = seconds_arg(where, s, {.min = 0s, .max = 24h}, true)) {
            v.garp_master_refresh = *x;
            here(kw);
        }
    } else if (kw == "garp_master_refresh_repeat") {
        if (auto x = uint_arg(where, s, {.min = 1, .max = 1000})) {
            v.garp_master_refresh_repeat = static_cast<std::uint32_t>(*x);
            here(kw);
        }
    } else if (kw == "garp_lower_prio_delay") {
        if (auto x = seconds_arg(where, s, {.min = 0s, .max = 1h}, true)) {
            v.garp_lower_prio_delay = *x;
            here(kw);
        }
    } else if (kw == "garp_lower_prio_repeat") {
        if (auto x = uint_arg(where, s, {.min = 0, .max = 1000})) {
            v.garp_lower_prio_repeat = static_cast<std::uint32_t>(*x);
            here(kw);
        }
    } else if (kw == "lower_prio_no_advert") {
        if (auto x = flag_arg(where, s)) {
            d.lower_prio_no_advert = *x;
            here(kw);
        }
    } else if (kw == "higher_prio_send_advert") {
        if (auto x = flag_arg(where, s)) {
            d.higher_prio_send_advert = *x;
            here(kw);
        }
    } else {
        warn_ignored(where, s, find_ignored(instance_ignored, kw));
    }
}

void importer::authentication(instance_draft& d, const statement& st) {
    const std::string where = d.entry.subject + ": authentication";
    if (!need_block(d.entry.subject, st)) {
        return;
    }
    d.entry.at["authentication"] = st.keyword.at;
    auto& v = d.entry.cfg.vrrp;
    for (const statement& s : st.block) {
        if (s.keyword.text == "auth_type") {
            const token* t = one_arg(where, s, "PASS (AH is not supported)");
            if (t == nullptr) {
                continue;
            }
            if (t->text == "PASS") {
                v.auth = vrrp::auth_kind::pass;
            } else if (t->text == "AH") {
                diag_.error(t->at, kw_subject(where, s) + " AH is not supported",
                            "auth_type PASS, or no authentication block");
            } else {
                diag_.error(t->at,
                            kw_subject(where, s) + " " + quote(t->text) +
                                " is not an authentication type",
                            "PASS (AH is not supported)");
            }
        } else if (s.keyword.text == "auth_pass") {
            const token* t = one_arg(where, s, "a password");
            if (t == nullptr) {
                continue;
            }
            v.auth_pass = t->text;
            if (v.auth_pass.size() > vrrp_rules::auth_pass_size) {
                // vrrp_parser.c: "Truncating auth_pass to 8 characters".
                v.auth_pass.resize(vrrp_rules::auth_pass_size);
                diag_.warning(t->at, kw_subject(where, s) +
                                         " is longer than 8 characters; only the first 8 are "
                                         "used, as keepalived does");
            }
        } else {
            warn_ignored(where, s, nullptr);
        }
    }
}

void importer::virtual_ipaddress(instance_draft& d, const statement& st) {
    const std::string where = d.entry.subject + ": virtual_ipaddress";
    if (!need_block(d.entry.subject, st)) {
        return;
    }
    d.entry.at.try_emplace("virtual_ipaddress", st.keyword.at);
    // keepalived's address line: ADDR[/LEN] [dev IF] [brd ADDR] [scope S]
    // [label L] [peer ADDR] [home] [-nodad] ... (vrrp_ipaddress.c).
    for (const statement& line : st.block) {
        if (!no_block(where, line)) {
            continue;
        }
        auto a = address(where, line.keyword, "address", true);
        for (std::size_t i = 0; i < line.args.size(); ++i) {
            const token& opt = line.args[i];
            const std::string_view o = opt.text;
            const bool takes_value = o == "dev" || o == "label" || o == "brd" || o == "broadcast" ||
                                     o == "scope" || o == "peer" || o == "preferred_lft" ||
                                     o == "track_group";
            if (takes_value && i + 1 >= line.args.size()) {
                diag_.error(opt.at, where + ": " + quote(opt.text) + " has no value",
                            std::string(o) + " VALUE");
                continue;
            }
            if (o == "dev") {
                d.vip_devs.push_back(line.args[i + 1]);
            } else if (o == "label" || o == "brd" || o == "broadcast" || o == "scope") {
                // Kernel address attributes: nothing to do without a kernel address.
            } else {
                diag_.warning(opt.at, where + ": option " + quote(opt.text) + " of " +
                                          quote(line.keyword.text) + " is not supported; ignored");
            }
            if (takes_value) {
                ++i;
            }
        }
        if (!a) {
            continue;
        }
        auto [it, fresh] = d.vips.try_emplace(a->value, line.keyword.at);
        if (!fresh) {
            diag_.error(line.keyword.at,
                        where + ": duplicate address " + a->to_string() + " (first at " +
                            it->second.to_string() + ")",
                        "each virtual address once");
            continue;
        }
        d.entry.cfg.vrrp.virtual_addresses.push_back(*a);
    }
}

void importer::unicast_peer(instance_draft& d, const statement& st) {
    const std::string where = d.entry.subject + ": unicast_peer";
    if (!need_block(d.entry.subject, st)) {
        return;
    }
    d.entry.at.try_emplace("unicast_peer", st.keyword.at);
    for (const statement& line : st.block) {
        if (!no_block(where, line)) {
            continue;
        }
        if (!line.args.empty()) {
            // `ADDR min_ttl N max_ttl N`: vipgate checks TTL 255 only.
            diag_.warning(line.args[0].at, where + ": options after " + quote(line.keyword.text) +
                                               " are not supported; ignored");
        }
        auto a = address(where, line.keyword, "peer", false);
        if (!a) {
            continue;
        }
        auto [it, fresh] = d.peers.try_emplace(a->value, line.keyword.at);
        if (!fresh) {
            diag_.error(line.keyword.at,
                        where + ": duplicate peer " + a->to_string() + " (first at " +
                            it->second.to_string() + ")",
                        "each peer once");
            continue;
        }
        d.entry.cfg.vrrp.unicast_peers.push_back(*a);
    }
}

void importer::finish_instance(instance_draft& d) {
    const std::string& where = d.entry.subject;
    auto& cfg = d.entry.cfg;
    if (!d.has_vrid) {
        diag_.error(d.keyword_at, where + ": no virtual_router_id",
                    "virtual_router_id 1..255 in every vrrp_instance");
    }
    if (cfg.port.empty()) {
        // keepalived needs no interface for a unicast instance with
        // unicast_src_ip (vrrp.c:2966): use the port whose subnet holds it.
        const port_config* found = nullptr;
        if (cfg.vrrp.primary_address.value != 0) {
            for (const auto& p : base_.ports) {
                if (p.address.contains(cfg.vrrp.primary_address)) {
                    found = &p;
                    break;
                }
            }
        }
        if (found != nullptr) {
            cfg.port = found->name;
            d.entry.at["port"] = d.entry.where_of("unicast_src_ip");
            diag_.warning(d.keyword_at, where + ": no interface; using port " + quote(found->name) +
                                            ", whose subnet holds unicast_src_ip " +
                                            cfg.vrrp.primary_address.to_string());
        } else {
            diag_.error(d.keyword_at, where + ": no interface",
                        "interface PORT, a port name from the YAML configuration");
        }
    }
    if (cfg.vrrp.virtual_addresses.empty() && d.vips.empty()) {
        diag_.error(d.entry.where_of("virtual_ipaddress"), where + ": no virtual address",
                    "a virtual_ipaddress block with at least one IPv4 address");
    }
    for (const token& dev : d.vip_devs) {
        if (!cfg.port.empty() && dev.text != cfg.port) {
            diag_.warning(dev.at, where + ": virtual_ipaddress dev " + quote(dev.text) +
                                      " is not the instance's interface " + quote(cfg.port) +
                                      "; the address is served on " + quote(cfg.port));
        }
    }
    d.entry.read_ok = diag_.count() == d.errors_before;
}

// What keepalived decides when every file has been read
// (vrrp_complete_instance): global defaults for what the instance left unset.
void importer::complete(instance_draft& d) const {
    auto& v = d.entry.cfg.vrrp;
    v.version = d.version.value_or(globals_.version.value_or(2));
    v.lower_prio_no_advert =
        d.lower_prio_no_advert.value_or(globals_.lower_prio_no_advert.value_or(false));
    v.higher_prio_send_advert =
        d.higher_prio_send_advert.value_or(globals_.higher_prio_send_advert.value_or(false));
    if (!v.garp_lower_prio_delay && globals_.garp_lower_prio_delay) {
        v.garp_lower_prio_delay = globals_.garp_lower_prio_delay;
    }
    if (!v.garp_lower_prio_repeat && globals_.garp_lower_prio_repeat) {
        v.garp_lower_prio_repeat = globals_.garp_lower_prio_repeat;
    }
}

// ---- vrrp_sync_group -------------------------------------------------------------------

void importer::vrrp_sync_group(const statement& st) {
    if (st.args.size() != 1) {
        diag_.error(st.keyword.at, "vrrp_sync_group needs exactly one name",
                    "vrrp_sync_group NAME { group { INSTANCE ... } }");
        return;
    }
    const token& name = st.args[0];
    const std::string where = "vrrp_sync_group " + name.text;
    if (!vrrp_rules::valid_name(name.text)) {
        diag_.error(name.at,
                    "vrrp_sync_group " + quote(name.text) + " is not a valid sync group name",
                    vrrp_rules::name_expected);
        return;
    }
    if (!need_block({}, st, 1)) {
        return;
    }
    vrrp_group_entry g;
    g.syntax = vrrp_rules::dialect::keepalived;
    g.subject = where;
    g.cfg.name = name.text;
    g.cfg.where = st.keyword.at;
    g.name_at = name.at;
    bool have_group = false;
    for (const statement& s : st.block) {
        if (s.keyword.text != "group") {
            warn_ignored(where, s, find_ignored(group_ignored, s.keyword.text));
            continue;
        }
        if (have_group) {
            // vrrp_parser.c: "Group list already specified for sync group %s".
            diag_.warning(s.keyword.at,
                          where + ": a second group list; ignored, as keepalived does");
            continue;
        }
        have_group = true;
        if (!need_block(where, s)) {
            continue;
        }
        for (const statement& line : s.block) {
            if (!no_block(where + ": group", line)) {
                continue;
            }
            g.cfg.members.push_back(line.keyword.text);
            g.member_at.push_back(line.keyword.at);
            for (const token& t : line.args) {
                g.cfg.members.push_back(t.text);
                g.member_at.push_back(t.at);
            }
        }
        if (g.cfg.members.empty()) {
            diag_.error(s.block_at, where + ": the group list is empty",
                        "group { INSTANCE ... } with at least one vrrp_instance name");
        }
    }
    if (!have_group) {
        diag_.error(st.keyword.at, where + ": no group list",
                    "group { INSTANCE ... } in every vrrp_sync_group");
    }
    groups_.push_back(std::move(g));
}

// ---- virtual_server ---------------------------------------------------------------------

std::optional<net::ipv4_addr> importer::lb_address(const std::string& where, const token& t,
                                                   std::string_view what) {
    if (t.text.find(':') != std::string::npos) {
        diag_.error(t.at,
                    where + ": " + std::string(what) + " " + quote(t.text) +
                        " is an IPv6 address (vipgate's load balancer is IPv4 only)",
                    "an IPv4 address a.b.c.d");
        return std::nullopt;
    }
    return address(where, t, what, false);
}

// keepalived's read_timer: seconds, decimals allowed ("1", "0.5").
std::optional<std::chrono::milliseconds>
importer::ms_arg(const std::string& where, const statement& st, const duration_spec& spec) {
    if (auto v = seconds_arg(where, st, spec, false)) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(*v);
    }
    return std::nullopt;
}

bool importer::check_setting(const std::string& where, const statement& s,
                             lb_rules::check_settings& out, lb_rules::location_map& at) {
    const std::string_view kw = s.keyword.text;
    const auto here = [&](std::string_view key) {
        at[std::string(key)] = s.args.empty() ? s.keyword.at : s.args[0].at;
    };
    if (kw == "delay_loop") {
        if (auto v = ms_arg(where, s, lb_rules::delay_loop_spec)) {
            out.delay_loop = *v;
            here(kw);
        }
    } else if (kw == "connect_timeout") {
        if (auto v = ms_arg(where, s, lb_rules::connect_timeout_spec)) {
            out.connect_timeout = *v;
            here(kw);
        }
    } else if (kw == "delay_before_retry") {
        if (auto v = ms_arg(where, s, lb_rules::delay_before_retry_spec)) {
            out.delay_before_retry = *v;
            here(kw);
        }
    } else if (kw == "retry" || kw == "nb_get_retry") {
        // nb_get_retry: keepalived's older name, still accepted.
        if (auto v = uint_arg(where, s, {.min = 0, .max = lb_rules::max_retry})) {
            out.retry = static_cast<std::uint32_t>(*v);
            here("retry");
        }
    } else {
        return false;
    }
    return true;
}

void importer::virtual_server(const statement& st) {
    if (!st.args.empty() && (st.args[0].text == "fwmark" || st.args[0].text == "group")) {
        const std::string what =
            "virtual_server " + st.args[0].text + (st.args.size() > 1 ? " " + st.args[1].text : "");
        diag_.warning(st.keyword.at, what + " is not supported by vipgate (a virtual server is one "
                                            "VIP and port); skipped with its block");
        return;
    }
    if (st.args.size() < 2) {
        diag_.error(st.keyword.at, "virtual_server needs an address and a port",
                    "virtual_server IP PORT { ... } (fwmark and group services are not "
                    "supported)");
        return;
    }
    const std::string where = "virtual_server " + st.args[0].text + " " + st.args[1].text;
    if (!need_block({}, st, 2)) {
        return;
    }
    vs_draft d;
    d.errors_before = diag_.count();
    d.keyword_at = st.keyword.at;
    lb_rules::vs_entry& e = d.entry;
    e.syntax = lb_rules::dialect::keepalived;
    e.subject = where;
    e.cfg.where = st.keyword.at;
    e.at["address"] = st.args[0].at;
    e.at["port"] = st.args[1].at;
    if (auto a = lb_address(where, st.args[0], "address")) {
        e.cfg.service.vip = *a;
    }
    if (auto p = parse_uint(st.args[1].text, 1, 65535); p.ok()) {
        e.cfg.service.port = static_cast<std::uint16_t>(*p);
    } else {
        diag_.error(st.args[1].at,
                    where + ": port " + quote(st.args[1].text) + " " + p.message() +
                        (st.args[1].text == "0" ? " (port 0, all ports, is not supported)" : ""),
                    "a port 1..65535");
    }
    for (const statement& s : st.block) {
        vs_keyword(d, s);
    }
    finish_virtual_server(d);
    virtual_servers_.push_back(std::move(e));
}

void importer::vs_keyword(vs_draft& d, const statement& s) {
    lb_rules::vs_entry& e = d.entry;
    const std::string& where = e.subject;
    auto& svc = e.cfg.service;
    const std::string_view kw = s.keyword.text;
    const auto here = [&](std::string_view key) {
        e.at[std::string(key)] = s.args.empty() ? s.keyword.at : s.args[0].at;
    };
    // A word argument checked by `parse`; the error names keyword and value.
    const auto word = [&](std::string_view expected, auto parse) {
        const token* t = one_arg(where, s, expected);
        if (t == nullptr) {
            return false;
        }
        auto r = parse(t->text);
        if (!r.ok()) {
            diag_.error(t->at, kw_subject(where, s) + " " + quote(t->text) + " " + r.message(),
                        expected);
            return false;
        }
        return true;
    };

    if (kw == "delay_loop") {
        if (auto v = ms_arg(where, s, lb_rules::delay_loop_spec)) {
            e.cfg.delay_loop = *v;
            here(kw);
        }
    } else if (check_setting(where, s, e.defaults, e.at)) {
        // connect_timeout, retry, delay_before_retry: defaults for the checkers
    } else if (kw == "lb_algo" || kw == "lvs_sched") {
        d.scheduler_given = true;
        word(lb_rules::scheduler_expected, [&](std::string_view t) -> result<void> {
            auto k = lb_rules::parse_scheduler(t);
            if (!k.ok()) {
                return make_error(k.message());
            }
            svc.scheduler = *k;
            here("lb_algo");
            return {};
        });
    } else if (kw == "lb_kind" || kw == "lvs_method") {
        d.kind_given = true;
        word(lb_rules::lb_kind_expected, lb_rules::parse_lb_kind);
    } else if (kw == "protocol") {
        d.protocol_given = true;
        word(lb_rules::protocol_expected, [&](std::string_view t) -> result<void> {
            auto p = lb_rules::parse_protocol(t);
            if (!p.ok()) {
                e.key_ok = false;
                return make_error(p.message());
            }
            svc.proto = *p;
            here("protocol");
            return {};
        });
    } else if (kw == "persistence_timeout") {
        d.timeout_given = true;
        if (!no_block(where, s)) {
            return;
        }
        if (s.args.empty()) {
            // check_parser.c pto_handler: a bare keyword means 360 s.
            svc.persistence_timeout = std::chrono::seconds{lb_rules::keepalived_bare_persistence_s};
            here(kw);
            return;
        }
        if (auto v = uint_arg(where, s, {.min = 1, .max = lb_rules::max_persistence_s})) {
            svc.persistence_timeout = std::chrono::seconds{*v};
            here(kw);
        }
    } else if (kw == "persistence_granularity") {
        word(lb_rules::netmask_expected, [&](std::string_view t) -> result<void> {
            auto m = lb_rules::parse_netmask(t);
            if (!m.ok()) {
                return make_error(m.message());
            }
            svc.persistence_netmask = *m;
            here(kw);
            return {};
        });
    } else if (kw == "inhibit_on_failure") {
        if (auto v = flag_arg(where, s)) {
            e.inhibit = *v;
            here(kw);
        }
    } else if (kw == "sh-port" || kw == "mh-port") {
        no_args(where, s);
        svc.hash_port = true;
        here("hash_port");
    } else if (kw == "sh-fallback" || kw == "mh-fallback") {
        no_args(where, s);
        diag_.warning(s.keyword.at,
                      kw_subject(where, s) +
                          " is not needed: vipgate's sh and mh tables hold only available real "
                          "servers; ignored");
    } else if (kw == "ip_family") {
        word("inet (IPv6 services are not supported)", [](std::string_view t) -> result<void> {
            if (t == "inet") {
                return {};
            }
            return make_error(t == "inet6" ? "is not supported (vipgate's load balancer is "
                                             "IPv4 only)"
                                           : "is not an address family");
        });
    } else if (kw == "real_server") {
        real_server(d, s);
    } else {
        warn_ignored(where, s, find_ignored(vs_ignored, kw));
    }
}

void importer::finish_virtual_server(vs_draft& d) {
    lb_rules::vs_entry& e = d.entry;
    auto& svc = e.cfg.service;
    if (!d.protocol_given) {
        // check_data.c: no protocol is a configuration error, and the
        // service is created as UDP.
        svc.proto = lb::protocol::udp;
        diag_.warning(d.keyword_at,
                      e.subject + ": no protocol; UDP used, as keepalived does (it reports a "
                                  "configuration error): add `protocol TCP` for a TCP service");
    }
    if (!d.scheduler_given) {
        diag_.warning(d.keyword_at, e.subject + ": no lb_algo; wlc used, as keepalived does");
    }
    if (!d.kind_given) {
        diag_.warning(d.keyword_at, e.subject + ": no lb_kind; NAT used, as keepalived does");
    }
    if (e.at.contains("persistence_granularity") && !d.timeout_given) {
        // check_parser.c pgr_handler: granularity switches persistence on.
        svc.persistence_timeout = std::chrono::seconds{lb_rules::keepalived_bare_persistence_s};
        diag_.warning(e.where_of("persistence_granularity"),
                      e.subject + ": persistence_granularity without persistence_timeout; "
                                  "persistence_timeout 360 used, as keepalived does");
    }
    lb_rules::resolve(e);
    e.read_ok = diag_.count() == d.errors_before;
}

void importer::real_server(vs_draft& d, const statement& st) {
    const std::string& vs_where = d.entry.subject;
    if (st.args.empty()) {
        diag_.error(st.keyword.at, vs_where + ": real_server needs an address",
                    "real_server IP [PORT] { ... }");
        return;
    }
    if (st.args.size() > 2) {
        diag_.warning(st.args[2].at, vs_where + ": real_server: " + quote(st.args[2].text) +
                                         " after the address and port ignored, as keepalived "
                                         "does");
    }
    rs_draft r;
    lb_rules::rs_entry& e = r.entry;
    e.subject = vs_where + ": real_server " + st.args[0].text +
                (st.args.size() > 1 ? " " + st.args[1].text : "");
    e.cfg.where = st.keyword.at;
    e.at["address"] = st.args[0].at;
    if (auto a = lb_address(e.subject, st.args[0], "address")) {
        e.cfg.rs.address = *a;
    }
    if (st.args.size() > 1) {
        e.at["port"] = st.args[1].at;
        if (auto p = parse_uint(st.args[1].text, 1, 65535); p.ok()) {
            e.cfg.rs.port = static_cast<std::uint16_t>(*p);
        } else {
            diag_.error(st.args[1].at,
                        e.subject + ": port " + quote(st.args[1].text) + " " + p.message(),
                        "a port 1..65535, or none for the virtual server's port");
        }
    }
    for (const statement& s : st.block) {
        rs_keyword(r, s);
    }
    // Never a silent ignore: a checker vipgate lacks leaves the real server
    // without that check.
    std::string rs_name = e.cfg.rs.address.to_string();
    if (e.cfg.rs.port != 0) {
        rs_name += ':';
        rs_name += std::to_string(e.cfg.rs.port);
    }
    for (const token& t : r.other_checkers) {
        diag_.warning(
            t.at,
            e.subject + ": " + t.text + ": only TCP_CHECK is implemented; real server " + rs_name +
                (e.has_check ? " is checked by its TCP_CHECK only" : " is treated as always up") +
                " (ignored with its block)");
    }
    d.entry.rs.push_back(std::move(e));
}

void importer::rs_keyword(rs_draft& r, const statement& s) {
    lb_rules::rs_entry& e = r.entry;
    const std::string& where = e.subject;
    const std::string_view kw = s.keyword.text;
    const auto here = [&](std::string_view key) {
        e.at[std::string(key)] = s.args.empty() ? s.keyword.at : s.args[0].at;
    };
    if (kw == "weight") {
        if (auto v = uint_arg(where, s, {.min = 0, .max = lb_rules::max_weight})) {
            e.cfg.rs.weight = static_cast<std::uint32_t>(*v);
            here(kw);
        }
    } else if (kw == "inhibit_on_failure") {
        if (auto v = flag_arg(where, s)) {
            e.inhibit = *v;
            here(kw);
        }
    } else if (kw == "lvs_method") {
        if (const token* t = one_arg(where, s, lb_rules::lb_kind_expected)) {
            if (auto k = lb_rules::parse_lb_kind(t->text); !k.ok()) {
                diag_.error(t->at, kw_subject(where, s) + " " + quote(t->text) + " " + k.message(),
                            lb_rules::lb_kind_expected);
            }
        }
    } else if (check_setting(where, s, e.defaults, e.at)) {
        // defaults for this real server's checker
    } else if (kw == "TCP_CHECK") {
        if (e.has_check) {
            diag_.warning(s.keyword.at,
                          where + ": a second TCP_CHECK; only the first is used (ignored with its "
                                  "block)");
            return;
        }
        tcp_check(r, s);
    } else if (lb_rules::is_other_keepalived_checker(kw)) {
        r.other_checkers.push_back(s.keyword);
    } else {
        warn_ignored(where, s, find_ignored(rs_ignored, kw));
    }
}

void importer::tcp_check(rs_draft& r, const statement& st) {
    lb_rules::rs_entry& e = r.entry;
    const std::string where = e.subject + ": TCP_CHECK";
    if (!need_block(e.subject, st)) {
        return;
    }
    e.has_check = true;
    for (const statement& s : st.block) {
        const std::string_view kw = s.keyword.text;
        if (check_setting(where, s, e.check, e.at)) {
            continue;
        }
        if (kw == "connect_ip") {
            if (const token* t = one_arg(where, s, "an IPv4 address a.b.c.d")) {
                if (auto a = lb_address(where, *t, "connect_ip")) {
                    e.connect_ip = *a;
                }
            }
        } else if (kw == "connect_port") {
            if (auto v = uint_arg(where, s, {.min = 1, .max = 65535})) {
                e.connect_port = static_cast<std::uint16_t>(*v);
            }
        } else {
            warn_ignored(where, s, find_ignored(check_ignored, kw));
        }
    }
}

// ---- top level ---------------------------------------------------------------------------

void importer::run(const std::vector<statement>& top) {
    const std::string where; // top-level messages need no prefix
    for (const statement& st : top) {
        const std::string_view kw = st.keyword.text;
        if (kw == "global_defs") {
            global_defs(st);
        } else if (kw == "vrrp_instance") {
            vrrp_instance(st);
        } else if (kw == "vrrp_sync_group") {
            vrrp_sync_group(st);
        } else if (kw == "virtual_server") {
            virtual_server(st);
        } else if (kw == "virtual_server_group") {
            static constexpr ignored_keyword group{
                "virtual_server_group",
                " (a virtual server is one VIP and port; `virtual_server group` blocks are "
                "skipped too)"};
            warn_ignored(where, st, &group);
        } else {
            warn_ignored(where, st, find_ignored(top_ignored, kw));
        }
    }
    for (auto& d : instances_) {
        complete(d);
    }
}

} // namespace

result<config> import_keepalived(const std::string& conf_path, config base) {
    auto doc = keepalived::parse_file(conf_path);
    if (!doc.ok()) {
        return make_error(doc.message());
    }
    diagnostics diag(conf_path, diagnostics::ordering::as_reported);
    diag.rank_files(doc->files); // each file's problems together, in reading order
    try {
        importer imp(diag, base);
        imp.run(doc->statements);

        // The YAML's own instances and groups take part in the uniqueness
        // checks; they were checked when the YAML was loaded.
        std::vector<vrrp_entry> all;
        for (std::size_t i = 0; i < base.vrrp_instances.size(); ++i) {
            vrrp_entry e;
            e.cfg = base.vrrp_instances[i];
            e.subject = "vrrp_instances[" + std::to_string(i) + "] " + e.cfg.vrrp.name;
            e.checked = true;
            all.push_back(std::move(e));
        }
        for (auto& d : imp.instances()) {
            all.push_back(std::move(d.entry));
        }
        std::vector<vrrp_group_entry> groups;
        for (std::size_t i = 0; i < base.vrrp_sync_groups.size(); ++i) {
            vrrp_group_entry g;
            g.cfg = base.vrrp_sync_groups[i];
            g.subject = "vrrp_sync_groups[" + std::to_string(i) + "] " + g.cfg.name;
            g.name_at = g.cfg.where;
            g.checked = true;
            groups.push_back(std::move(g));
        }
        for (auto& g : imp.groups()) {
            groups.push_back(std::move(g));
        }
        vrrp_rules::check_vrrp(diag, base.ports, all, groups);

        // Virtual servers: the YAML's take part in the uniqueness, limit and
        // VIP checks. The YAML loader's "VIP is not held" warnings are
        // withdrawn and re-evaluated with the imported instances.
        std::vector<vrrp_instance_config> instances;
        for (const auto& e : all) {
            instances.push_back(e.cfg);
        }
        std::vector<lb_rules::vs_entry> services;
        for (std::size_t i = 0; i < base.virtual_servers.size(); ++i) {
            lb_rules::vs_entry e;
            e.cfg = base.virtual_servers[i];
            e.subject = "virtual_servers[" + std::to_string(i) + "]";
            e.checked = true;
            const std::string yaml_warning =
                e.cfg.where.to_string() + ": " +
                lb_rules::vip_not_held(e, !base.vrrp_instances.empty());
            std::erase(base.warnings, yaml_warning);
            services.push_back(std::move(e));
        }
        const std::size_t yaml_services = services.size();
        for (auto& e : imp.virtual_servers()) {
            services.push_back(std::move(e));
        }
        lb_rules::check_lb(diag, base.ports, instances, services);
        if (!diag.ok()) {
            return make_error(diag.message());
        }
        for (std::size_t i = base.vrrp_instances.size(); i < all.size(); ++i) {
            base.vrrp_instances.push_back(std::move(all[i].cfg));
        }
        for (std::size_t i = base.vrrp_sync_groups.size(); i < groups.size(); ++i) {
            base.vrrp_sync_groups.push_back(std::move(groups[i].cfg));
        }
        for (std::size_t i = yaml_services; i < services.size(); ++i) {
            base.virtual_servers.push_back(std::move(services[i].cfg));
        }
    } catch (const std::exception& e) {
        return make_error(conf_path + ": cannot import: " + e.what());
    }
    for (auto& w : doc->warnings) {
        base.warnings.push_back(std::move(w));
    }
    for (auto& w : diag.warnings()) {
        base.warnings.push_back(std::move(w));
    }
    return base;
}

} // namespace vipgate::config
