// keepalived.conf keywords: global_defs defaults, vrrp_instance and
// vrrp_sync_group become vrrp_instances / vrrp_sync_groups; every other
// keyword is a warning with its position (keepalived skips unknown keywords
// too, parser.c:3098). Values follow keepalived 2.2.7 (vrrp_parser.c,
// vrrp.c vrrp_complete_instance; shared/reference checklist §2); the
// derivations that need the whole instance (priority from state, ...) are
// vrrp::normalize()'s, run by vrrp_rules::check_vrrp().

#include "config/keepalived.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

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

constexpr std::string_view load_balancing_later =
    "virtual_server import comes with the load-balancing work; ignored";

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

class importer {
  public:
    importer(diagnostics& diag, const config& base) : diag_(diag), base_(base) {}

    void run(const std::vector<statement>& top);

    std::vector<instance_draft>& instances() { return instances_; }
    std::vector<vrrp_group_entry>& groups() { return groups_; }

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

    diagnostics& diag_;
    const config& base_;
    global_defaults globals_;
    std::vector<instance_draft> instances_;
    std::vector<vrrp_group_entry> groups_;
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
        } else if (kw == "virtual_server" || kw == "virtual_server_group" || kw == "real_server") {
            // The load-balancing work adds a handler here that reads st.args
            // (ip port | fwmark N | group G) and st.block.
            diag_.warning(st.keyword.at, std::string(kw) + " " +
                                             (st.args.empty() ? "" : st.args[0].text + " ") +
                                             std::string(load_balancing_later));
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
        if (!diag.ok()) {
            return make_error(diag.message());
        }
        for (std::size_t i = base.vrrp_instances.size(); i < all.size(); ++i) {
            base.vrrp_instances.push_back(std::move(all[i].cfg));
        }
        for (std::size_t i = base.vrrp_sync_groups.size(); i < groups.size(); ++i) {
            base.vrrp_sync_groups.push_back(std::move(groups[i].cfg));
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
