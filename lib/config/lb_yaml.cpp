// `load_balancing` and `virtual_servers`: key tables in keepalived's names,
// read with yaml_util's read_fields, then lb_rules::resolve() for
// keepalived's inheritance and lb_rules::check_lb() for what spans keys,
// services and sections.

#include "config/lb_yaml.hpp"

#include <utility>

#include "config/lb_check.hpp"

namespace vipgate::config::lb_yaml {

namespace {

using namespace std::chrono_literals;
using lb_rules::check_settings;
using lb_rules::rs_entry;
using lb_rules::vs_entry;
using std::chrono::milliseconds;

constexpr std::string_view vip_expected =
    "the virtual IPv4 address a.b.c.d, a virtual_ipaddress of a VRRP instance";
constexpr std::string_view rs_address_expected = "the real server's unicast IPv4 address a.b.c.d";
constexpr std::string_view connect_ip_expected = "a unicast IPv4 address a.b.c.d";
constexpr duration_spec persistence_spec{
    .min = 0s, .max = std::chrono::seconds{lb_rules::max_persistence_s}, .granularity = 1s};

// ---- load_balancing -------------------------------------------------------------------

const std::vector<field<lb::timeouts>>& timeout_fields() {
    using t = lb::timeouts;
    // lb::timeouts::validate()'s bounds: a flow keeps its deadline as a
    // 32-bit millisecond tick.
    constexpr duration_spec spec{.min = 1ms, .max = milliseconds{0x7fffffff}};
    static const std::vector<field<t>> fields = {
        duration_field("tcp_established", &t::tcp_established, spec),
        duration_field("tcp_syn_recv", &t::tcp_syn_recv, spec),
        duration_field("tcp_syn_sent", &t::tcp_syn_sent, spec),
        duration_field("tcp_fin_wait", &t::tcp_fin_wait, spec),
        duration_field("tcp_time_wait", &t::tcp_time_wait, spec),
        duration_field("tcp_close", &t::tcp_close, spec),
        duration_field("tcp_close_wait", &t::tcp_close_wait, spec),
        duration_field("tcp_last_ack", &t::tcp_last_ack, spec),
        duration_field("tcp_none", &t::tcp_none, spec),
        duration_field("udp", &t::udp, spec),
    };
    return fields;
}

void check_timeouts(diagnostics& d, const YAML::Node& n, const std::string& p, lb::timeouts& t) {
    if (auto v = t.validate(); !v.ok()) {
        d.error(n, subject(p) + v.message(), "timeouts of 1ms..2147483647ms");
    }
}

// ---- shared pieces of the three levels --------------------------------------------------

std::optional<net::ipv4_addr> read_unicast(diagnostics& d, const YAML::Node& n,
                                           const std::string& p, std::string_view expected) {
    const auto s = read_scalar(d, n, p, expected);
    if (!s) {
        return std::nullopt;
    }
    if (s->find(':') != std::string::npos) {
        d.error(n, subject(p) + describe(n) + " is an IPv6 address (vipgate is IPv4 only)",
                expected);
        return std::nullopt;
    }
    auto a = net::ipv4_addr::parse(*s);
    if (!a) {
        d.error(n, subject(p) + describe(n) + " is not an IPv4 address", expected);
        return std::nullopt;
    }
    if (auto why = host_address_problem(net::ipv4_prefix{*a, 32})) {
        d.error(n, subject(p) + describe(n) + ' ' + *why, expected);
        return std::nullopt;
    }
    return a;
}

// A duration kept as optional milliseconds in a check_settings member.
template <class T>
field<T> settings_ms(std::string_view key, check_settings T::*settings,
                     std::optional<milliseconds> check_settings::*member,
                     const duration_spec& spec) {
    return {key, spec.expected(),
            [spec, settings, member](diagnostics& d, const YAML::Node& n, const std::string& p,
                                     T& out) {
                if (auto v = read_duration(d, n, p, spec)) {
                    (out.*settings).*member = std::chrono::duration_cast<milliseconds>(*v);
                }
            }};
}

// connect_timeout, retry, delay_before_retry (and delay_loop below the
// virtual server, which keeps its own in virtual_server_config): the
// health-check settings every level may give, inherited downwards.
template <class T>
void add_check_settings(std::vector<field<T>>& fields, check_settings T::*settings,
                        bool with_delay_loop) {
    if (with_delay_loop) {
        fields.push_back(settings_ms("delay_loop", settings, &check_settings::delay_loop,
                                     lb_rules::delay_loop_spec));
    }
    fields.push_back(settings_ms("connect_timeout", settings, &check_settings::connect_timeout,
                                 lb_rules::connect_timeout_spec));
    const uint_spec retry{.min = 0, .max = lb_rules::max_retry};
    fields.push_back(field<T>{
        "retry", retry.expected(),
        [retry, settings](diagnostics& d, const YAML::Node& n, const std::string& p, T& out) {
            if (auto v = read_uint(d, n, p, retry)) {
                (out.*settings).retry = static_cast<std::uint32_t>(*v);
            }
        }});
    fields.push_back(settings_ms("delay_before_retry", settings,
                                 &check_settings::delay_before_retry,
                                 lb_rules::delay_before_retry_spec));
}

// Where each key's value sits (the key itself for an empty value), for
// messages from the cross checks.
void record_locations(const diagnostics& d, const YAML::Node& map, lb_rules::location_map& at) {
    for (auto it = map.begin(); it != map.end(); ++it) {
        const YAML::Node key = it->first;
        const YAML::Node value = it->second;
        if (key.IsScalar()) {
            at.try_emplace(key.Scalar(), d.where(value.IsNull() ? key : value));
        }
    }
}

// ---- check -----------------------------------------------------------------------------

struct check_draft {
    std::string type; // "tcp" or "misc" once read
    check_settings s;
    std::optional<net::ipv4_addr> connect_ip;
    std::optional<std::uint16_t> connect_port;
    lb_rules::misc_entry misc;
    bool path_written = false; // misc_path given (maybe with a wrong value: already an error)
    // The first key of the other kind (checked once the type is known).
    std::optional<std::pair<std::string, YAML::Node>> tcp_key, misc_key;
};

constexpr std::string_view misc_path_expected =
    "a script and its arguments in one string, e.g. \"/etc/keepalived/check.sh arg\"";
constexpr std::string_view misc_user_expected = "a user name, optionally followed by a group name";

// vrrp_script's and keepalived's rule: the words of the string.
std::vector<std::string> words_of(const std::string& text) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) {
            ++i;
        }
        std::size_t j = i;
        while (j < text.size() && text[j] != ' ' && text[j] != '\t') {
            ++j;
        }
        if (j > i) {
            out.emplace_back(text.substr(i, j - i));
        }
        i = j;
    }
    return out;
}

// Remembers that a key of one checker kind was written.
void note_key(std::optional<std::pair<std::string, YAML::Node>>& slot, const std::string& p,
              const YAML::Node& n) {
    if (!slot) {
        slot.emplace(p, n);
    }
}

// The keys only a MISC_CHECK has (man keepalived.conf, MISC_CHECK).
void add_misc_fields(std::vector<field<check_draft>>& f) {
    f.push_back(field<check_draft>{
        "misc_path", std::string(misc_path_expected),
        [](diagnostics& d, const YAML::Node& n, const std::string& p, check_draft& out) {
            note_key(out.misc_key, p, n);
            out.path_written = true;
            auto v = read_string(d, n, p, misc_path_expected);
            if (!v) {
                return;
            }
            auto words = words_of(*v);
            if (words.empty()) {
                d.error(n, subject(p) + "has no command", misc_path_expected);
                return;
            }
            out.misc.cfg.argv = std::move(words);
            out.misc.have_path = true;
        }});
    f.push_back(field<check_draft>{
        "misc_timeout", lb_rules::misc_timeout_spec.expected() + " (0: the delay_loop)",
        [](diagnostics& d, const YAML::Node& n, const std::string& p, check_draft& out) {
            note_key(out.misc_key, p, n);
            if (auto v = read_duration(d, n, p, lb_rules::misc_timeout_spec)) {
                out.misc.cfg.timeout = std::chrono::duration_cast<milliseconds>(*v);
            }
        }});
    f.push_back(field<check_draft>{
        "misc_dynamic", std::string(bool_expected),
        [](diagnostics& d, const YAML::Node& n, const std::string& p, check_draft& out) {
            note_key(out.misc_key, p, n);
            if (auto v = read_bool(d, n, p)) {
                out.misc.cfg.dynamic = *v;
            }
        }});
    f.push_back(field<check_draft>{
        "user", std::string(misc_user_expected),
        [](diagnostics& d, const YAML::Node& n, const std::string& p, check_draft& out) {
            note_key(out.misc_key, p, n);
            auto v = read_string(d, n, p, misc_user_expected);
            if (!v) {
                return;
            }
            auto words = words_of(*v);
            if (words.empty() || words.size() > 2) {
                d.error(n, subject(p) + describe(n) + " is not a user and an optional group",
                        misc_user_expected);
                return;
            }
            out.misc.cfg.user = words[0];
            out.misc.cfg.group = words.size() > 1 ? words[1] : std::string{};
        }});
    f.push_back(field<check_draft>{
        "warmup", lb_rules::warmup_spec.expected(),
        [](diagnostics& d, const YAML::Node& n, const std::string& p, check_draft& out) {
            note_key(out.misc_key, p, n);
            if (auto v = read_duration(d, n, p, lb_rules::warmup_spec)) {
                out.misc.cfg.warmup = std::chrono::duration_cast<milliseconds>(*v);
            }
        }});
}

// The keys of one kind of check must not appear in the other; a misc check
// needs misc_path. False after an error.
bool check_kind(diagnostics& d, const YAML::Node& n, const std::string& p, check_draft& c) {
    if (c.type.empty()) {
        return false; // `type` was wrong or missing: already an error
    }
    const bool misc = c.type == "misc";
    const auto& other = misc ? c.tcp_key : c.misc_key;
    if (other) {
        d.error(other->second, subject(other->first) + "is not a key of a " + c.type + " check",
                misc ? "misc_path, misc_timeout, misc_dynamic, user, warmup, delay_loop, retry, "
                       "delay_before_retry"
                     : "connect_ip, connect_port, connect_timeout, delay_loop, retry, "
                       "delay_before_retry");
        return false;
    }
    if (misc && !c.misc.have_path) {
        if (!c.path_written) {
            d.error(n, subject(p) + "a misc check has no misc_path", misc_path_expected);
        }
        return false;
    }
    if (misc) {
        c.misc.cfg.where = d.where(n);
        c.misc.check = c.s;
    }
    return true;
}

const std::vector<field<check_draft>>& check_fields() {
    static const std::vector<field<check_draft>> fields = [] {
        std::vector<field<check_draft>> f = {
            required(field<check_draft>{
                "type", std::string(lb_rules::check_type_expected),
                [](diagnostics& d, const YAML::Node& n, const std::string& p, check_draft& out) {
                    auto s = read_string(d, n, p, lb_rules::check_type_expected);
                    if (!s) {
                        return;
                    }
                    if (*s == "tcp" || *s == "misc") {
                        out.type = *s;
                        return;
                    }
                    constexpr std::string_view later[] = {"http", "https",    "ssl",    "smtp",
                                                          "dns",  "udp",      "ping",   "file",
                                                          "bfd",  "http_get", "ssl_get"};
                    for (auto l : later) {
                        if (*s == l) {
                            d.error(n,
                                    subject(p) + describe(n) +
                                        " checks are not supported yet (only tcp and misc are "
                                        "implemented)",
                                    lb_rules::check_type_expected);
                            return;
                        }
                    }
                    d.error(n, subject(p) + describe(n) + " is not a check type",
                            lb_rules::check_type_expected);
                }}),
        };
        add_check_settings(f, &check_draft::s, true);
        // connect_timeout is a TCP check's only.
        for (auto& x : f) {
            if (x.key == "connect_timeout") {
                x.read = [read = x.read](diagnostics& d, const YAML::Node& n, const std::string& p,
                                         check_draft& out) {
                    note_key(out.tcp_key, p, n);
                    read(d, n, p, out);
                };
            }
        }
        f.push_back(field<check_draft>{
            "connect_ip", std::string(connect_ip_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, check_draft& out) {
                note_key(out.tcp_key, p, n);
                if (auto a = read_unicast(d, n, p, connect_ip_expected)) {
                    out.connect_ip = *a;
                }
            }});
        const uint_spec port{.min = 1, .max = 65535};
        f.push_back(field<check_draft>{
            "connect_port", port.expected(),
            [port](diagnostics& d, const YAML::Node& n, const std::string& p, check_draft& out) {
                note_key(out.tcp_key, p, n);
                if (auto v = read_uint(d, n, p, port)) {
                    out.connect_port = static_cast<std::uint16_t>(*v);
                }
            }});
        add_misc_fields(f);
        return f;
    }();
    return fields;
}

// ---- notify_up / notify_down --------------------------------------------------------------

constexpr std::string_view rs_notify_expected =
    "a script and its arguments in one string, e.g. \"/etc/vipgate/rs-up.sh 172.18.0.11\", or "
    "a map {script, user}";

// The map form: keepalived's `notify_up "CMD ARGS" USER [GROUP]`.
const std::vector<field<script_command>>& notify_fields() {
    static const std::vector<field<script_command>> fields = {
        required(field<script_command>{
            "script", std::string(misc_path_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, script_command& out) {
                auto v = read_string(d, n, p, misc_path_expected);
                if (!v) {
                    return;
                }
                out.argv = words_of(*v);
                if (out.argv.empty()) {
                    d.error(n, subject(p) + "has no command", misc_path_expected);
                }
            }}),
        field<script_command>{
            "user", std::string(misc_user_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, script_command& out) {
                auto v = read_string(d, n, p, misc_user_expected);
                if (!v) {
                    return;
                }
                auto words = words_of(*v);
                if (words.empty() || words.size() > 2) {
                    d.error(n, subject(p) + describe(n) + " is not a user and an optional group",
                            misc_user_expected);
                    return;
                }
                out.user = words[0];
                out.group = words.size() > 1 ? words[1] : std::string{};
            }},
    };
    return fields;
}

// A real server's notify_up / notify_down: the command as one string (run
// as global_defs script_user), or {script, user}.
field<rs_entry> notify_field(std::string_view key, script_command real_server_entry::*member) {
    return field<rs_entry>{
        key, std::string(rs_notify_expected),
        [member](diagnostics& d, const YAML::Node& n, const std::string& p, rs_entry& out) {
            script_command cmd;
            if (n.IsMap()) {
                if (!read_fields(d, n, p, notify_fields(), cmd)) {
                    return;
                }
            } else if (auto v = read_string(d, n, p, rs_notify_expected)) {
                cmd.argv = words_of(*v);
                if (cmd.argv.empty()) {
                    d.error(n, subject(p) + "has no command", rs_notify_expected);
                }
            }
            out.cfg.*member = std::move(cmd);
        }};
}

// ---- real_servers -------------------------------------------------------------------------

// keepalived's sorry_server: where new flows go while no real server is
// eligible. Address and port only (it is not checked, as in keepalived).
const std::vector<field<lb::real_server_config>>& sorry_fields() {
    using sorry = lb::real_server_config;
    static const std::vector<field<sorry>> fields = [] {
        const uint_spec port{.min = 1, .max = 65535};
        return std::vector<field<sorry>>{
            required(field<sorry>{
                "address", std::string(rs_address_expected),
                [](diagnostics& d, const YAML::Node& n, const std::string& p, sorry& out) {
                    if (auto a = read_unicast(d, n, p, rs_address_expected)) {
                        out.address = *a;
                    }
                }}),
            field<sorry>{
                "port", port.expected() + " (default: the virtual server's port)",
                [port](diagnostics& d, const YAML::Node& n, const std::string& p, sorry& out) {
                    if (auto v = read_uint(d, n, p, port)) {
                        out.port = static_cast<std::uint16_t>(*v);
                    }
                }},
        };
    }();
    return fields;
}

const std::vector<field<rs_entry>>& rs_fields() {
    static const std::vector<field<rs_entry>> fields = [] {
        std::vector<field<rs_entry>> f = {
            required(field<rs_entry>{
                "address", std::string(rs_address_expected),
                [](diagnostics& d, const YAML::Node& n, const std::string& p, rs_entry& out) {
                    if (auto a = read_unicast(d, n, p, rs_address_expected)) {
                        out.cfg.rs.address = *a;
                    }
                }}),
        };
        const uint_spec port{.min = 1, .max = 65535};
        f.push_back(field<rs_entry>{
            "port", port.expected() + " (default: the virtual server's port)",
            [port](diagnostics& d, const YAML::Node& n, const std::string& p, rs_entry& out) {
                if (auto v = read_uint(d, n, p, port)) {
                    out.cfg.rs.port = static_cast<std::uint16_t>(*v);
                }
            }});
        const uint_spec weight{.min = 0, .max = lb_rules::max_weight};
        f.push_back(field<rs_entry>{
            "weight", weight.expected(),
            [weight](diagnostics& d, const YAML::Node& n, const std::string& p, rs_entry& out) {
                if (auto v = read_uint(d, n, p, weight)) {
                    out.cfg.rs.weight = static_cast<std::uint32_t>(*v);
                }
            }});
        f.push_back(field<rs_entry>{
            "inhibit_on_failure", std::string(bool_expected),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, rs_entry& out) {
                if (auto v = read_bool(d, n, p)) {
                    out.inhibit = *v;
                }
            }});
        add_check_settings(f, &rs_entry::defaults, true);
        f.push_back(field<rs_entry>{
            "check", detail::map_expected(field_keys(check_fields())),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, rs_entry& out) {
                check_draft c;
                if (!read_fields(d, n, p, check_fields(), c) || !check_kind(d, n, p, c)) {
                    return;
                }
                if (c.type == "misc") {
                    out.misc.push_back(std::move(c.misc));
                    return;
                }
                out.has_check = true;
                out.check = c.s;
                out.connect_ip = c.connect_ip;
                out.connect_port = c.connect_port;
            }});
        f.push_back(notify_field("notify_up", &real_server_entry::notify_up));
        f.push_back(notify_field("notify_down", &real_server_entry::notify_down));
        return f;
    }();
    return fields;
}

const std::string& rs_expected() {
    static const std::string s =
        "a sequence of real servers, each a map with keys " + join_keys(field_keys(rs_fields()));
    return s;
}

// ---- virtual_servers ---------------------------------------------------------------------

template <class Apply>
field<vs_entry> word_key(std::string_view key, std::string_view expected, Apply apply) {
    return {key, std::string(expected),
            [expected, apply](diagnostics& d, const YAML::Node& n, const std::string& p,
                              vs_entry& out) {
                auto s = read_string(d, n, p, expected);
                if (!s) {
                    return;
                }
                auto why = apply(*s, out);
                if (!why.ok()) {
                    d.error(n, subject(p) + describe(n) + ' ' + why.message(), expected);
                }
            }};
}

result<void> set_scheduler(const std::string& s, vs_entry& out) {
    auto k = lb_rules::parse_scheduler(s);
    if (!k.ok()) {
        return make_error(k.message());
    }
    out.cfg.service.scheduler = *k;
    return {};
}

result<void> set_lb_kind(const std::string& s, vs_entry&) {
    return lb_rules::parse_lb_kind(s);
}

// keepalived's quorum, hysteresis, quorum_up, quorum_down (lib/lb/quorum.hpp);
// a script is one string, "CMD ARGS", run as global_defs script_user.
void add_quorum_fields(std::vector<field<vs_entry>>& f) {
    const uint_spec quorum{.min = 1, .max = 0xffffffffu};
    const uint_spec hysteresis{.min = 0, .max = 0xffffffffu};
    f.push_back(field<vs_entry>{
        "quorum", quorum.expected(),
        [quorum](diagnostics& d, const YAML::Node& n, const std::string& p, vs_entry& out) {
            if (auto v = read_uint(d, n, p, quorum)) {
                out.cfg.quorum.quorum = static_cast<std::uint32_t>(*v);
            }
        }});
    f.push_back(field<vs_entry>{
        "hysteresis", hysteresis.expected(),
        [hysteresis](diagnostics& d, const YAML::Node& n, const std::string& p, vs_entry& out) {
            if (auto v = read_uint(d, n, p, hysteresis)) {
                out.cfg.quorum.hysteresis = static_cast<std::uint32_t>(*v);
            }
        }});
    for (auto [key, member_binding] :
         {std::pair{"quorum_up", &virtual_server_config::quorum_up},
          std::pair{"quorum_down", &virtual_server_config::quorum_down}}) {
        // A structured binding cannot be captured before C++20 in clang (the fuzz build).
        const auto member = member_binding;
        f.push_back(field<vs_entry>{
            key, std::string(misc_path_expected),
            [member](diagnostics& d, const YAML::Node& n, const std::string& p, vs_entry& out) {
                auto v = read_string(d, n, p, misc_path_expected);
                if (!v) {
                    return;
                }
                auto words = words_of(*v);
                if (words.empty()) {
                    d.error(n, subject(p) + "has no command", misc_path_expected);
                    return;
                }
                (out.cfg.*member).argv = std::move(words);
            }});
    }
}

const std::vector<field<vs_entry>>& vs_fields() {
    static const std::vector<field<vs_entry>> fields = [] {
        const uint_spec port{.min = 1, .max = 65535};
        std::vector<field<vs_entry>> f = {
            required(field<vs_entry>{
                "address", std::string(vip_expected),
                [](diagnostics& d, const YAML::Node& n, const std::string& p, vs_entry& out) {
                    if (auto a = read_unicast(d, n, p, vip_expected)) {
                        out.cfg.service.vip = *a;
                    }
                }}),
            required(field<vs_entry>{
                "port", port.expected(),
                [port](diagnostics& d, const YAML::Node& n, const std::string& p, vs_entry& out) {
                    if (auto v = read_uint(d, n, p, port)) {
                        out.cfg.service.port = static_cast<std::uint16_t>(*v);
                    }
                }}),
            // Required, unlike keepalived (which falls back to UDP with a
            // configuration error): a silent UDP service is a trap.
            required(word_key("protocol", lb_rules::protocol_expected,
                              [](const std::string& s, vs_entry& out) -> result<void> {
                                  auto v = lb_rules::parse_protocol(s);
                                  if (!v.ok()) {
                                      out.key_ok = false;
                                      return make_error(v.message());
                                  }
                                  out.cfg.service.proto = *v;
                                  return {};
                              })),
            word_key("lb_algo", lb_rules::scheduler_expected, set_scheduler),
            word_key("lvs_sched", lb_rules::scheduler_expected, set_scheduler),
            word_key("lb_kind", lb_rules::lb_kind_expected, set_lb_kind),
            word_key("lvs_method", lb_rules::lb_kind_expected, set_lb_kind),
            field<vs_entry>{
                "persistence_timeout", persistence_spec.expected() + "; 0s: off",
                [](diagnostics& d, const YAML::Node& n, const std::string& p, vs_entry& out) {
                    if (auto v = read_duration(d, n, p, persistence_spec)) {
                        out.cfg.service.persistence_timeout =
                            std::chrono::duration_cast<std::chrono::seconds>(*v);
                    }
                }},
            word_key("persistence_granularity", lb_rules::netmask_expected,
                     [](const std::string& s, vs_entry& out) -> result<void> {
                         auto m = lb_rules::parse_netmask(s);
                         if (!m.ok()) {
                             return make_error(m.message());
                         }
                         out.cfg.service.persistence_netmask = *m;
                         return {};
                     }),
            field<vs_entry>{
                "hash_port", std::string(bool_expected),
                [](diagnostics& d, const YAML::Node& n, const std::string& p, vs_entry& out) {
                    if (auto v = read_bool(d, n, p)) {
                        out.cfg.service.hash_port = *v;
                    }
                }},
            field<vs_entry>{
                "inhibit_on_failure", std::string(bool_expected),
                [](diagnostics& d, const YAML::Node& n, const std::string& p, vs_entry& out) {
                    if (auto v = read_bool(d, n, p)) {
                        out.inhibit = *v;
                    }
                }},
            field<vs_entry>{
                "delay_loop", lb_rules::delay_loop_spec.expected(),
                [](diagnostics& d, const YAML::Node& n, const std::string& p, vs_entry& out) {
                    if (auto v = read_duration(d, n, p, lb_rules::delay_loop_spec)) {
                        out.cfg.delay_loop = std::chrono::duration_cast<milliseconds>(*v);
                    }
                }},
        };
        add_quorum_fields(f);
        add_check_settings(f, &vs_entry::defaults, false);
        f.push_back(field<vs_entry>{
            "sorry_server", detail::map_expected(field_keys(sorry_fields())),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, vs_entry& out) {
                lb::real_server_config r;
                if (read_fields(d, n, p, sorry_fields(), r)) {
                    out.cfg.service.sorry_server = r;
                }
            }});
        f.push_back(field<vs_entry>{
            "real_servers", rs_expected(),
            [](diagnostics& d, const YAML::Node& n, const std::string& p, vs_entry& out) {
                read_sequence(d, n, p, rs_expected(), 0,
                              [&](const YAML::Node& item, const std::string& ip) {
                                  rs_entry r;
                                  r.subject = ip;
                                  r.cfg.where = d.where(item);
                                  if (!read_fields(d, item, ip, rs_fields(), r)) {
                                      return;
                                  }
                                  record_locations(d, item, r.at);
                                  out.rs.push_back(std::move(r));
                              });
            }});
        return f;
    }();
    return fields;
}

// keepalived's two names for one setting: one of them, please.
void check_alias(diagnostics& d, const vs_entry& e, std::string_view key, std::string_view alias) {
    if (e.at.contains(key) && e.at.contains(alias)) {
        d.error(e.where_of(alias),
                e.subject_of(alias) + "is keepalived's other name for " + std::string(key) +
                    ", which is also given",
                "either " + std::string(key) + " or " + std::string(alias));
    }
}

} // namespace

const std::vector<field<load_balancing_config>>& load_balancing_fields() {
    using l = load_balancing_config;
    static const std::vector<field<l>> fields = {
        uint_field("flows_per_worker", &l::flows_per_worker, {.min = 1024, .max = 16777216}),
        uint_field("persistence_templates", &l::persistence_templates,
                   {.min = 1024, .max = 16777216}),
        bool_field("sloppy_tcp", &l::sloppy_tcp),
        uint_field("expire_budget", &l::expire_budget, {.min = 1, .max = 65536}),
        section_field("timeouts", &l::timeouts, timeout_fields(), check_timeouts),
    };
    return fields;
}

const std::string& virtual_servers_expected() {
    static const std::string s =
        "a sequence of virtual servers, each a map with keys " + join_keys(field_keys(vs_fields()));
    return s;
}

void read_virtual_servers(diagnostics& diag, const YAML::Node& root, config& cfg) {
    const YAML::Node seq = root["virtual_servers"];
    if (!seq || seq.IsNull()) {
        return;
    }
    std::vector<vs_entry> entries;
    read_sequence(diag, seq, "virtual_servers", virtual_servers_expected(), 0,
                  [&](const YAML::Node& item, const std::string& path) {
                      vs_entry e;
                      e.subject = path;
                      e.cfg.where = diag.where(item);
                      if (!read_fields(diag, item, path, vs_fields(), e)) {
                          return;
                      }
                      record_locations(diag, item, e.at);
                      if (!e.at.contains("protocol")) {
                          e.key_ok = false; // reported as missing
                      }
                      check_alias(diag, e, "lb_algo", "lvs_sched");
                      check_alias(diag, e, "lb_kind", "lvs_method");
                      if (e.at.contains("persistence_granularity") &&
                          e.cfg.service.persistence_timeout.count() == 0) {
                          diag.error(e.where_of("persistence_granularity"),
                                     e.subject_of("persistence_granularity") +
                                         "is set but persistence is off (no "
                                         "persistence_timeout)",
                                     "a persistence_timeout above 0s with persistence_granularity "
                                     "(keepalived.conf would imply 360s)");
                      }
                      lb_rules::resolve(e);
                      lb_rules::settle_quorum(diag, e);
                      entries.push_back(std::move(e));
                  });
    lb_rules::check_lb(diag, cfg.ports, cfg.vrrp_instances, entries);
    for (auto& e : entries) {
        cfg.virtual_servers.push_back(std::move(e.cfg));
    }
}

void append_schema_keys(std::vector<std::string>& keys) {
    for (const auto& k : field_keys(load_balancing_fields())) {
        keys.push_back("load_balancing." + std::string(k));
    }
    for (const auto& k : field_keys(timeout_fields())) {
        keys.push_back("load_balancing.timeouts." + std::string(k));
    }
    for (const auto& k : field_keys(vs_fields())) {
        keys.push_back("virtual_servers[]." + std::string(k));
    }
    for (const auto& k : field_keys(rs_fields())) {
        keys.push_back("virtual_servers[].real_servers[]." + std::string(k));
    }
    for (const auto& k : field_keys(check_fields())) {
        keys.push_back("virtual_servers[].real_servers[].check." + std::string(k));
    }
    for (std::string_view which : {"notify_up", "notify_down"}) {
        for (const auto& k : field_keys(notify_fields())) {
            keys.push_back("virtual_servers[].real_servers[]." + std::string(which) + "." +
                           std::string(k));
        }
    }
}

} // namespace vipgate::config::lb_yaml
