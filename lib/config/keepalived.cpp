// keepalived.conf keywords, read block by block against keyword tables: each
// block (the top level, global_defs, vrrp_instance, authentication,
// vrrp_sync_group, virtual_server, real_server, TCP_CHECK) has a table of
// {keyword, reader, note}. A keyword vipgate implements has a reader; one it
// knows but does not implement has none and is a warning with its position,
// as is a keyword no table knows (keepalived skips unknown keywords too,
// parser.c:3098). Adding a keyword is one row. The same tables feed
// `vipgate --help` and --help-keepalived (keyword_tables()), so the help
// cannot drift from what is imported.
//
// Values follow keepalived 2.2.7 (vrrp_parser.c, vrrp.c
// vrrp_complete_instance, check_parser.c, check_data.c; shared/reference
// checklist §2 and §3); the derivations that need the whole instance
// (priority from state, ...) are vrrp::normalize()'s, run by
// vrrp_rules::check_vrrp(), and the checks that span services are
// lb_rules::check_lb()'s.

#include "config/keepalived.hpp"

#include <algorithm>
#include <cassert>
#include <functional>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

#include "config/lb_check.hpp"
#include "config/sync_check.hpp"
#include "config/vrrp_check.hpp"
#include "config/yaml_util.hpp"

namespace vipgate::config {

namespace {

using namespace std::chrono_literals;
using keepalived::statement;
using keepalived::token;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using vrrp_rules::vrrp_entry;
using vrrp_rules::vrrp_group_entry;

// ---- what the blocks read into ----------------------------------------------------------

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

struct group_draft {
    vrrp_group_entry entry;
    bool have_group = false; // a `group { ... }` was read
};

struct script_draft {
    vrrp_script_config cfg;
    bool have_script = false;
};

struct track_file_draft {
    track_file_config cfg;
    bool have_file = false;
    bool have_weight = false;
};

struct rs_draft {
    lb_rules::rs_entry entry;
    std::vector<token> other_checkers; // HTTP_GET, SSL_GET, ...: warned at the end
};

struct vs_draft {
    lb_rules::vs_entry entry;
    source_location keyword_at;
    bool protocol_given = false;
    bool scheduler_given = false;
    bool kind_given = false;
    bool timeout_given = false;
};

// ---- keyword tables ---------------------------------------------------------------------

class importer;

// Reads one statement of a block into `Ctx` (the block's draft); `where` is
// the block's subject for messages ("vrrp_instance VI_1").
template <class Ctx>
using reader = std::function<void(importer&, Ctx&, const std::string& where, const statement&)>;

template <class Ctx>
struct keyword {
    std::string_view name;
    // Empty: keepalived's keyword, not implemented by vipgate; a warning
    // "NAME is not supported by vipgate (NOTE); ignored".
    reader<Ctx> read;
    // With a reader: what vipgate makes of it (--help-keepalived). Without:
    // why it is ignored, or empty.
    std::string_view note;
    // False for keywords that have a reader only to warn later (the checkers
    // vipgate lacks); true for every keyword that is imported.
    bool supported = true;
};

enum class unknown_is {
    unknown,       // "unknown keyword 'X'; ignored, as keepalived does"
    not_supported, // "X is not supported by vipgate; ignored" (global_defs: too many to list)
};

template <class Ctx>
struct block {
    std::string_view name;   // "" for the top level
    std::string_view inside; // the enclosing block's name ("" at the top)
    unknown_is unknown = unknown_is::unknown;
    std::vector<keyword<Ctx>> keywords;

    const keyword<Ctx>* find(std::string_view kw) const {
        for (const auto& k : keywords) {
            if (k.name == kw) {
                return &k;
            }
        }
        return nullptr;
    }
};

// Where a value was written, by its YAML key name (an entry's `at` map).
template <class Ctx>
void mark(Ctx& c, std::string_view key, const statement& s) {
    if constexpr (requires { c.entry.at; }) {
        if (!key.empty()) {
            c.entry.at[std::string(key)] = s.args.empty() ? s.keyword.at : s.args[0].at;
        }
    } else {
        assert(key.empty());
    }
}

// ---- the importer -------------------------------------------------------------------------

// Its readers are public: the table rows call them.
class importer {
  public:
    importer(diagnostics& diag, const config& base) : diag_(diag), base_(base) {}

    void run(const std::vector<statement>& top);

    std::vector<instance_draft>& instances() { return instances_; }
    std::vector<vrrp_group_entry>& groups() { return groups_; }
    std::vector<lb_rules::vs_entry>& virtual_servers() { return virtual_servers_; }
    std::optional<sync_rules::sync_entry>& sync() { return sync_; }
    std::vector<vrrp_script_config>& scripts() { return scripts_; }
    std::vector<track_file_config>& track_files() { return track_files_; }
    const script_globals& script_settings() const { return script_globals_; }

    // Reads each statement of `body` with `b`'s table.
    template <class Ctx>
    void read_block(const block<Ctx>& b, Ctx& c, const std::string& where,
                    const std::vector<statement>& body);

    // ---- shapes ----
    void warn_unsupported(const std::string& where, const statement& st, std::string_view why);
    void warn_unknown(const std::string& where, const statement& st);
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
    std::optional<milliseconds> ms_arg(const std::string& where, const statement& st,
                                       const duration_spec& spec);
    // One word checked by `parse`; the error names keyword and value.
    bool word_arg(const std::string& where, const statement& st, std::string_view expected,
                  const std::function<result<void>(std::string_view)>& parse);
    // ---- blocks ----
    void global_defs(const statement& st);
    void vrrp_instance(const statement& st);
    void authentication(instance_draft& d, const statement& st);
    void virtual_ipaddress(instance_draft& d, const statement& st);
    void unicast_peer(instance_draft& d, const statement& st);
    void finish_instance(instance_draft& d);
    void complete(instance_draft& d) const;
    void vrrp_sync_group(const statement& st);
    void group_list(group_draft& g, const statement& st);
    void virtual_server(const statement& st);
    void finish_virtual_server(vs_draft& d);
    void real_server(vs_draft& d, const statement& st);
    void sorry_server(vs_draft& d, const statement& st);
    void tcp_check(rs_draft& r, const statement& st);
    void misc_check(rs_draft& r, const statement& st);
    void lvs_sync_daemon(const statement& st);
    void vrrp_script(const statement& st);
    void track_file_block(const statement& st);
    void track_file(const std::string& where, const statement& st,
                    std::vector<track_file_ref>& out);
    void resolve_track_files(const std::string& where, std::vector<track_file_ref>& refs);
    // `script`, notify_*: the arguments joined and split into words.
    std::optional<std::vector<std::string>> command_arg(const std::string& where,
                                                        const statement& st);
    std::optional<int> weight_arg(const std::string& where, const token& t, int max = 253);
    // `weight N [reverse]` from args[first]; false on an error.
    bool weight_args(const std::string& where, const statement& st, std::size_t first,
                     std::optional<int>& weight, std::optional<bool>& reverse);
    void track_script(const std::string& where, const statement& st,
                      std::vector<track_script_ref>& out);
    void check_tracks(const std::string& where, const std::vector<track_script_ref>& tracks);
    void track_interface(const std::string& where, const statement& st,
                         std::vector<track_interface_ref>& out);
    std::optional<track_interface_ref> track_interface_line(const std::string& sub,
                                                            const statement& line);
    void lvs_sync_daemon_interface(instance_draft& d, const statement& st);
    bool sync_option(sync_rules::sync_entry& e, const statement& st, std::size_t& i);
    void finish_sync(const std::vector<vrrp_entry>& instances);

    diagnostics& diag_;
    const config& base_;
    global_defaults globals_;
    std::vector<instance_draft> instances_;
    std::vector<vrrp_group_entry> groups_;
    std::vector<lb_rules::vs_entry> virtual_servers_;
    std::optional<sync_rules::sync_entry> sync_; // lvs_sync_daemon(_interface)
    bool sync_id_given_ = false;
    std::vector<vrrp_script_config> scripts_;
    std::vector<track_file_config> track_files_;
    script_globals script_globals_;
};

// "vrrp_instance VI_1: priority", or the keyword alone at the top level.
std::string kw_subject(const std::string& where, const statement& st) {
    return where.empty() ? st.keyword.text : where + ": " + st.keyword.text;
}

template <class Ctx>
void importer::read_block(const block<Ctx>& b, Ctx& c, const std::string& where,
                          const std::vector<statement>& body) {
    for (const statement& s : body) {
        const keyword<Ctx>* k = b.find(s.keyword.text);
        if (k != nullptr && k->read) {
            k->read(*this, c, where, s);
        } else if (k != nullptr || b.unknown == unknown_is::not_supported) {
            warn_unsupported(where, s, k != nullptr ? k->note : std::string_view{});
        } else {
            warn_unknown(where, s);
        }
    }
}

// ---- shapes ------------------------------------------------------------------------

void importer::warn_unsupported(const std::string& where, const statement& st,
                                std::string_view why) {
    const std::string block = st.has_block ? " (with its block)" : "";
    const std::string prefix = where.empty() ? std::string() : where + ": ";
    const std::string note = why.empty() ? std::string() : " (" + std::string(why) + ")";
    diag_.warning(st.keyword.at, prefix + st.keyword.text + " is not supported by vipgate" + note +
                                     "; ignored" + block);
}

void importer::warn_unknown(const std::string& where, const statement& st) {
    const std::string block = st.has_block ? " (with its block)" : "";
    const std::string prefix = where.empty() ? std::string() : where + ": ";
    diag_.warning(st.keyword.at, prefix + "unknown keyword " + quote(st.keyword.text) +
                                     "; ignored" + block + ", as keepalived does");
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
std::optional<milliseconds> importer::ms_arg(const std::string& where, const statement& st,
                                             const duration_spec& spec) {
    if (auto v = seconds_arg(where, st, spec, false)) {
        return std::chrono::duration_cast<milliseconds>(*v);
    }
    return std::nullopt;
}

bool importer::word_arg(const std::string& where, const statement& st, std::string_view expected,
                        const std::function<result<void>(std::string_view)>& parse) {
    const token* t = one_arg(where, st, expected);
    if (t == nullptr) {
        return false;
    }
    auto r = parse(t->text);
    if (!r.ok()) {
        diag_.error(t->at, kw_subject(where, st) + " " + quote(t->text) + " " + r.message(),
                    expected);
        return false;
    }
    return true;
}

// Words of a command line, split at blanks (keepalived's
// set_script_params_array(); quotes inside a quoted command are not
// interpreted by vipgate).
std::vector<std::string> split_words(std::string_view text) {
    std::vector<std::string> words;
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
            words.emplace_back(text.substr(i, j - i));
        }
        i = j;
    }
    return words;
}

constexpr std::string_view command_expected =
    "a script and its arguments, quoted when there are several words, e.g. "
    "\"/etc/keepalived/check.sh arg\"";

std::optional<std::vector<std::string>> importer::command_arg(const std::string& where,
                                                              const statement& st) {
    if (!no_block(where, st)) {
        return std::nullopt;
    }
    std::string line;
    for (const token& t : st.args) {
        line += (line.empty() ? "" : " ") + t.text;
    }
    auto words = split_words(line);
    if (words.empty()) {
        diag_.error(st.keyword.at, kw_subject(where, st) + " has no command", command_expected);
        return std::nullopt;
    }
    return words;
}

constexpr std::string_view weight_expected = "an integer -253..253";

std::optional<int> importer::weight_arg(const std::string& where, const token& t, int max) {
    std::string_view text = t.text;
    const bool negative = !text.empty() && text.front() == '-';
    if (negative || (!text.empty() && text.front() == '+')) {
        text.remove_prefix(1);
    }
    auto v = parse_uint(text, 0, static_cast<std::uint64_t>(max));
    if (!v.ok()) {
        diag_.error(t.at, where + ": weight " + quote(t.text) + " " + v.message(),
                    max == 253 ? std::string(weight_expected)
                               : "an integer -" + std::to_string(max) + ".." + std::to_string(max));
        return std::nullopt;
    }
    return negative ? -static_cast<int>(*v) : static_cast<int>(*v);
}

bool importer::weight_args(const std::string& where, const statement& st, std::size_t first,
                           std::optional<int>& weight, std::optional<bool>& reverse) {
    if (first >= st.args.size()) {
        diag_.error(st.keyword.at, kw_subject(where, st) + " has no value",
                    "weight " + std::string(weight_expected) + " [reverse]");
        return false;
    }
    weight = weight_arg(kw_subject(where, st), st.args[first]);
    if (!weight) {
        return false;
    }
    reverse = false;
    if (first + 1 < st.args.size()) {
        const token& r = st.args[first + 1];
        if (r.text == "reverse") {
            reverse = true;
        } else {
            diag_.error(r.at, kw_subject(where, st) + ": " + quote(r.text) + " after the weight",
                        "reverse, or nothing");
            return false;
        }
        if (first + 2 < st.args.size()) {
            diag_.warning(st.args[first + 2].at,
                          kw_subject(where, st) + ": extra arguments ignored, as keepalived does");
        }
    }
    return true;
}

// track_script { NAME [weight N [reverse]] ... } (vrrp_parser.c
// vrrp_track_scr_handler); the names are resolved once the file is read.
void importer::track_script(const std::string& where, const statement& st,
                            std::vector<track_script_ref>& out) {
    if (!need_block(where, st)) {
        return;
    }
    const std::string sub = kw_subject(where, st);
    for (const statement& line : st.block) {
        track_script_ref ref;
        ref.script = line.keyword.text;
        ref.where = line.keyword.at;
        if (line.has_block) {
            diag_.error(line.block_at, sub + ": " + quote(line.keyword.text) + " takes no block",
                        "SCRIPT_NAME [weight N [reverse]], one a line");
            continue;
        }
        if (!line.args.empty()) {
            if (line.args[0].text != "weight") {
                diag_.error(line.args[0].at,
                            sub + " " + line.keyword.text + ": " + quote(line.args[0].text) +
                                " is not an option",
                            "weight N [reverse], or nothing");
                continue;
            }
            if (line.args.size() < 2) {
                diag_.error(line.args[0].at,
                            sub + " " + line.keyword.text + ": weight has no value",
                            weight_expected);
                continue;
            }
            std::optional<int> w;
            std::optional<bool> r;
            statement tail = line;
            tail.keyword.text = "weight";
            if (!weight_args(sub + " " + line.keyword.text, tail, 1, w, r)) {
                continue;
            }
            ref.weight = w;
            ref.reverse = r;
        }
        out.push_back(std::move(ref));
    }
}

// One `PORT [weight N [reverse]]` line of track_interface (vrrp_track.c
// alloc_track_if(): weight -254..254, +-254 used as +-253 with a warning).
std::optional<track_interface_ref> importer::track_interface_line(const std::string& sub,
                                                                  const statement& line) {
    constexpr std::string_view options = "weight N [reverse], or nothing";
    track_interface_ref ref;
    ref.port = line.keyword.text;
    ref.where = line.keyword.at;
    const std::string what = sub + " " + ref.port;
    if (line.has_block) {
        diag_.error(line.block_at, sub + ": " + quote(ref.port) + " takes no block",
                    "PORT [weight N [reverse]], one a line");
        return std::nullopt;
    }
    if (line.args.empty()) {
        return ref;
    }
    if (line.args[0].text != "weight") {
        diag_.error(line.args[0].at, what + ": " + quote(line.args[0].text) + " is not an option",
                    options);
        return std::nullopt;
    }
    if (line.args.size() < 2) {
        diag_.error(line.args[0].at, what + ": weight has no value", "an integer -254..254");
        return std::nullopt;
    }
    auto w = weight_arg(what, line.args[1], 254);
    if (!w) {
        return std::nullopt;
    }
    if (*w == 254 || *w == -254) {
        *w = *w > 0 ? 253 : -253;
        diag_.warning(line.args[1].at, what + ": weight cannot be +/-254; " + std::to_string(*w) +
                                           " is used, as keepalived does");
    }
    ref.weight = *w;
    if (line.args.size() > 2) {
        if (line.args[2].text != "reverse") {
            diag_.error(line.args[2].at,
                        what + ": " + quote(line.args[2].text) + " after the weight",
                        "reverse, or nothing");
            return std::nullopt;
        }
        ref.reverse = true;
        if (line.args.size() > 3) {
            diag_.warning(line.args[3].at, what + ": extra arguments ignored, as keepalived does");
        }
    }
    return ref;
}

// track_interface { PORT [weight N [reverse]] ... } (vrrp_parser.c
// vrrp_track_if_handler, vrrp_group_track_if_handler): PORT names one of
// `ports`, checked with the other VRRP rules (vrrp_rules::check_vrrp).
void importer::track_interface(const std::string& where, const statement& st,
                               std::vector<track_interface_ref>& out) {
    if (!need_block(where, st)) {
        return;
    }
    const std::string sub = kw_subject(where, st);
    for (const statement& line : st.block) {
        if (auto ref = track_interface_line(sub, line)) {
            out.push_back(std::move(*ref));
        }
    }
}

// keepalived: "track script X not found, ignoring".
void importer::check_tracks(const std::string& where, const std::vector<track_script_ref>& tracks) {
    for (const auto& t : tracks) {
        const bool known = std::any_of(scripts_.begin(), scripts_.end(),
                                       [&](const auto& sc) { return sc.name == t.script; });
        if (!known) {
            diag_.error(t.where, where + ": track_script " + quote(t.script) + " is not defined",
                        "the name of a vrrp_script block");
        }
    }
}

// ---- row factories ------------------------------------------------------------------------
// `key`: the YAML name under which the value's position is remembered ("" for
// none); `set` stores the value in the block's draft.

template <class Ctx>
keyword<Ctx> row(std::string_view name, reader<Ctx> read, std::string_view note) {
    return {name, std::move(read), note, true};
}

template <class Ctx>
keyword<Ctx> ignored(std::string_view name, std::string_view why = {}) {
    return {name, nullptr, why, false};
}

template <class Ctx, class Set>
keyword<Ctx> uint_row(std::string_view name, uint_spec spec, std::string_view key, Set set,
                      std::string_view note) {
    return row<Ctx>(
        name,
        [spec, key, set](importer& imp, Ctx& c, const std::string& where, const statement& s) {
            if (auto v = imp.uint_arg(where, s, spec)) {
                set(c, *v);
                mark(c, key, s);
            }
        },
        note);
}

// keepalived's times in seconds: "1", "0.5", or whole seconds only.
template <class Ctx, class Set>
keyword<Ctx> seconds_row(std::string_view name, duration_spec spec, bool whole_seconds,
                         std::string_view key, Set set, std::string_view note) {
    return row<Ctx>(
        name,
        [spec, whole_seconds, key, set](importer& imp, Ctx& c, const std::string& where,
                                        const statement& s) {
            if (auto v = imp.seconds_arg(where, s, spec, whole_seconds)) {
                set(c, *v);
                mark(c, key, s);
            }
        },
        note);
}

template <class Ctx, class Set>
keyword<Ctx> ms_row(std::string_view name, duration_spec spec, std::string_view key, Set set,
                    std::string_view note) {
    return row<Ctx>(
        name,
        [spec, key, set](importer& imp, Ctx& c, const std::string& where, const statement& s) {
            if (auto v = imp.ms_arg(where, s, spec)) {
                set(c, *v);
                mark(c, key, s);
            }
        },
        note);
}

// keepalived's optional boolean: a bare keyword means true.
template <class Ctx, class Set>
keyword<Ctx> flag_row(std::string_view name, std::string_view key, Set set, std::string_view note) {
    return row<Ctx>(
        name,
        [key, set](importer& imp, Ctx& c, const std::string& where, const statement& s) {
            if (auto v = imp.flag_arg(where, s)) {
                set(c, *v);
                mark(c, key, s);
            }
        },
        note);
}

template <class Ctx>
void append(std::vector<keyword<Ctx>>& rows, std::vector<keyword<Ctx>> more) {
    for (auto& k : more) {
        rows.push_back(std::move(k));
    }
}

// delay_loop, connect_timeout, retry, delay_before_retry: the same keywords
// at the virtual server, real server and checker level (check_parser.c),
// each level the default of the one below (lb_rules::resolve).
template <class Ctx>
std::vector<keyword<Ctx>> check_timing(lb_rules::check_settings& (*pick)(Ctx&),
                                       bool with_delay_loop) {
    std::vector<keyword<Ctx>> rows;
    if (with_delay_loop) {
        rows.push_back(ms_row<Ctx>(
            "delay_loop", lb_rules::delay_loop_spec, "delay_loop",
            [pick](Ctx& c, milliseconds v) { pick(c).delay_loop = v; }, "seconds between checks"));
    }
    rows.push_back(ms_row<Ctx>(
        "connect_timeout", lb_rules::connect_timeout_spec, "connect_timeout",
        [pick](Ctx& c, milliseconds v) { pick(c).connect_timeout = v; },
        "seconds a check's connection may take"));
    rows.push_back(ms_row<Ctx>(
        "delay_before_retry", lb_rules::delay_before_retry_spec, "delay_before_retry",
        [pick](Ctx& c, milliseconds v) { pick(c).delay_before_retry = v; },
        "seconds between the retries of a failed check"));
    const auto retry = [pick](Ctx& c, std::uint64_t v) {
        pick(c).retry = static_cast<std::uint32_t>(v);
    };
    const uint_spec retry_spec{.min = 0, .max = lb_rules::max_retry};
    rows.push_back(
        uint_row<Ctx>("retry", retry_spec, "retry", retry, "retries before a server is down"));
    // keepalived's older name, still accepted.
    rows.push_back(uint_row<Ctx>("nb_get_retry", retry_spec, "retry", retry, "retry"));
    return rows;
}

// notify_master "CMD" [USER [GROUP]] and the others (vrrp_parser.c
// set_vrrp_notify_script / get_notify_script; notify_script_init() for
// real_server notify_up / notify_down): the first word is the command,
// quoted when it has arguments; the next ones a user and group.
// One "CMD ARGS" [USER [GROUP]] line into `cmd`; false after an error.
bool read_script_command(importer& imp, const std::string& where, const statement& s,
                         script_command& cmd) {
    if (!imp.no_block(where, s)) {
        return false;
    }
    if (s.args.empty() || split_words(s.args[0].text).empty()) {
        imp.diag_.error(s.keyword.at, kw_subject(where, s) + " has no command", command_expected);
        return false;
    }
    cmd.argv = split_words(s.args[0].text);
    cmd.user = s.args.size() > 1 ? s.args[1].text : std::string{};
    cmd.group = s.args.size() > 2 ? s.args[2].text : std::string{};
    if (s.args.size() > 3) {
        imp.diag_.warning(s.args[3].at,
                          kw_subject(where, s) + ": extra arguments after the group ignored");
    }
    return true;
}

template <class Ctx>
keyword<Ctx> notify_row(std::string_view name, notify_config& (*pick)(Ctx&),
                        script_command notify_config::*member, std::string_view note) {
    return row<Ctx>(
        name,
        [pick, member](importer& imp, Ctx& c, const std::string& where, const statement& s) {
            read_script_command(imp, where, s, pick(c).*member);
        },
        note);
}

// real_server notify_up / notify_down (check_parser.c notify_up_handler):
// a second line is ignored with a warning, the first one stays, as
// keepalived does ("notify_up script already specified - ignoring").
keyword<rs_draft> rs_notify_row(std::string_view name, script_command real_server_entry::*member,
                                std::string_view note) {
    return row<rs_draft>(
        name,
        [member](importer& imp, rs_draft& x, const std::string& where, const statement& s) {
            script_command& cmd = x.entry.cfg.*member;
            if (!cmd.empty()) {
                imp.diag_.warning(s.keyword.at, kw_subject(where, s) +
                                                    " is already given; this line is ignored, "
                                                    "as keepalived does");
                return;
            }
            read_script_command(imp, where, s, cmd);
        },
        note);
}

template <class Ctx>
std::vector<keyword<Ctx>> notify_rows(notify_config& (*pick)(Ctx&)) {
    return {
        notify_row<Ctx>("notify_master", pick, &notify_config::master,
                        "CMD [USER [GROUP]]: run on becoming MASTER"),
        notify_row<Ctx>("notify_backup", pick, &notify_config::backup,
                        "CMD [USER [GROUP]]: run on becoming BACKUP"),
        notify_row<Ctx>("notify_fault", pick, &notify_config::fault,
                        "CMD [USER [GROUP]]: run on entering FAULT"),
        notify_row<Ctx>("notify_stop", pick, &notify_config::stop,
                        "CMD [USER [GROUP]]: run when vipgate stops"),
        notify_row<Ctx>("notify", pick, &notify_config::any,
                        "CMD [USER [GROUP]]: run on every change with INSTANCE|GROUP NAME "
                        "STATE PRIORITY"),
    };
}

// ---- the tables ---------------------------------------------------------------------------

constexpr std::string_view no_tracking = "no tracking";
constexpr std::string_view no_notify = "no notify scripts";
constexpr std::string_view no_email = "no e-mail";
constexpr std::string_view no_sorry = "the sorry server is reached by NAT, as every real server";
constexpr std::string_view alpha_why = "real servers start as up, keepalived's default";
constexpr std::string_view http_only = "only HTTP checkers use it";

const block<importer>& top_block() {
    static const block<importer> b{
        "",
        "",
        unknown_is::unknown,
        {
            row<importer>(
                "global_defs",
                [](importer& imp, importer&, const std::string&, const statement& s) {
                    imp.global_defs(s);
                },
                "defaults for the VRRP instances"),
            row<importer>(
                "vrrp_instance",
                [](importer& imp, importer&, const std::string&, const statement& s) {
                    imp.vrrp_instance(s);
                },
                "a vrrp_instances item"),
            row<importer>(
                "vrrp_sync_group",
                [](importer& imp, importer&, const std::string&, const statement& s) {
                    imp.vrrp_sync_group(s);
                },
                "a vrrp_sync_groups item"),
            row<importer>(
                "virtual_server",
                [](importer& imp, importer&, const std::string&, const statement& s) {
                    imp.virtual_server(s);
                },
                "IP PORT: a virtual_servers item, NAT (fwmark and group services are "
                "skipped with a warning)"),
            ignored<importer>("virtual_server_group",
                              "a virtual server is one VIP and port; `virtual_server group` "
                              "blocks are skipped too"),
            row<importer>(
                "vrrp_script",
                [](importer& imp, importer&, const std::string&, const statement& s) {
                    imp.vrrp_script(s);
                },
                "a vrrp_scripts item: a check script for track_script"),
            row<importer>(
                "track_file",
                [](importer& imp, importer&, const std::string&, const statement& s) {
                    imp.track_file_block(s);
                },
                "NAME { file PATH weight N [reverse] init_file [VALUE] [overwrite] }: a file "
                "for track_file"),
            row<importer>(
                "vrrp_track_file",
                [](importer& imp, importer&, const std::string&, const statement& s) {
                    imp.track_file_block(s);
                },
                "the same as track_file (keepalived's older name)"),
            ignored<importer>("vrrp_track_process", "track_process is not supported"),
            ignored<importer>("static_ipaddress", "vipgate owns no kernel addresses"),
            ignored<importer>("static_routes", "vipgate owns no kernel routes"),
            ignored<importer>("static_rules", "vipgate owns no kernel rules"),
            ignored<importer>("garp_group"),
            ignored<importer>("linkbeat_interfaces"),
            ignored<importer>("bfd_instance", "track_bfd is not supported"),
        }};
    return b;
}

// Set before an instance: copied into the instances that follow
// (keepalived's alloc_vrrp), so a warning says when one comes after one.
keyword<importer> follows_instances(keyword<importer> k) {
    k.read = [read = std::move(k.read)](importer& imp, importer& c, const std::string& where,
                                        const statement& s) {
        if (!imp.instances_.empty()) {
            imp.diag_.warning(s.keyword.at,
                              where + ": " + s.keyword.text +
                                  " after a vrrp_instance applies only to the instances that "
                                  "follow it, as in keepalived");
        }
        read(imp, c, where, s);
    };
    return k;
}

const block<importer>& global_block() {
    using g = importer;
    static const std::string_view rt_why =
        "vipgate's control core has its own setting: dataplane.control_rt_priority in the YAML, "
        "a SCHED_FIFO priority";
    static const block<importer> b{
        "global_defs",
        "",
        unknown_is::not_supported,
        {
            uint_row<g>(
                "vrrp_version", {.min = 2, .max = 3}, "",
                [](g& c, std::uint64_t v) { c.globals_.version = static_cast<std::uint8_t>(v); },
                "default version of every instance"),
            row<g>(
                "script_user",
                [](g& imp, g&, const std::string& where, const statement& s) {
                    if (!imp.no_block(where, s)) {
                        return;
                    }
                    if (s.args.empty()) {
                        imp.diag_.error(s.keyword.at, kw_subject(where, s) + " has no value",
                                        "USER [GROUP]");
                        return;
                    }
                    imp.script_globals_.script_user = s.args[0].text;
                    imp.script_globals_.script_group =
                        s.args.size() > 1 ? s.args[1].text : std::string{};
                },
                "USER [GROUP]: default user of every script"),
            flag_row<g>(
                "enable_script_security", "",
                [](g& c, bool v) { c.script_globals_.enable_script_security = v; },
                "scripts with unsafe permissions are disabled"),
            flag_row<g>(
                "rs_init_notifies", "",
                [](g& c, bool v) { c.script_globals_.rs_init_notifies = v; },
                "real servers run notify_up when they start up"),
            row<g>(
                "notify_fifo",
                [](g& imp, g&, const std::string& where, const statement& s) {
                    if (!imp.no_block(where, s) || s.args.empty()) {
                        imp.diag_.error(s.keyword.at, kw_subject(where, s) + " has no value",
                                        "a FIFO path");
                        return;
                    }
                    imp.script_globals_.notify_fifo = s.args[0].text;
                },
                "FIFO: every notify line is written there (a user after it is ignored)"),
            row<g>(
                "vrrp_notify_fifo",
                [](g& imp, g&, const std::string& where, const statement& s) {
                    if (!imp.no_block(where, s) || s.args.empty()) {
                        imp.diag_.error(s.keyword.at, kw_subject(where, s) + " has no value",
                                        "a FIFO path");
                        return;
                    }
                    imp.script_globals_.vrrp_notify_fifo = s.args[0].text;
                },
                "FIFO: VRRP notify lines are written there (a user after it is ignored)"),
            row<g>(
                "router_id",
                [](g& imp, g&, const std::string& where, const statement& s) {
                    (void)imp.one_arg(where, s, "a name for this node"); // informational only
                },
                "accepted, informational"),
            follows_instances(seconds_row<g>(
                "vrrp_garp_master_delay", {.min = 0s, .max = 1h}, true, "",
                [](g& c, microseconds v) { c.globals_.garp_master_delay = v; },
                "garp_master_delay of the instances that follow")),
            follows_instances(uint_row<g>(
                "vrrp_garp_master_repeat", {.min = 1, .max = 1000}, "",
                [](g& c, std::uint64_t v) {
                    c.globals_.garp_master_repeat = static_cast<std::uint32_t>(v);
                },
                "garp_master_repeat of the instances that follow")),
            follows_instances(seconds_row<g>(
                "vrrp_garp_master_refresh", {.min = 0s, .max = 24h}, true, "",
                [](g& c, microseconds v) { c.globals_.garp_master_refresh = v; },
                "garp_master_refresh of the instances that follow")),
            follows_instances(uint_row<g>(
                "vrrp_garp_master_refresh_repeat", {.min = 1, .max = 1000}, "",
                [](g& c, std::uint64_t v) {
                    c.globals_.garp_master_refresh_repeat = static_cast<std::uint32_t>(v);
                },
                "garp_master_refresh_repeat of the instances that follow")),
            seconds_row<g>(
                "vrrp_garp_lower_prio_delay", {.min = 0s, .max = 1h}, true, "",
                [](g& c, microseconds v) { c.globals_.garp_lower_prio_delay = v; },
                "default garp_lower_prio_delay of every instance"),
            uint_row<g>(
                "vrrp_garp_lower_prio_repeat", {.min = 0, .max = 1000}, "",
                [](g& c, std::uint64_t v) {
                    c.globals_.garp_lower_prio_repeat = static_cast<std::uint32_t>(v);
                },
                "default garp_lower_prio_repeat of every instance"),
            flag_row<g>(
                "vrrp_lower_prio_no_advert", "",
                [](g& c, bool v) { c.globals_.lower_prio_no_advert = v; },
                "default lower_prio_no_advert of every instance"),
            flag_row<g>(
                "vrrp_higher_prio_send_advert", "",
                [](g& c, bool v) { c.globals_.higher_prio_send_advert = v; },
                "default higher_prio_send_advert of every instance"),
            row<g>(
                "lvs_sync_daemon",
                [](g& imp, g&, const std::string&, const statement& s) { imp.lvs_sync_daemon(s); },
                "INTERFACE [[inst] INSTANCE] [id N] [port P] [group G]: `sync` on vipgate's own "
                "protocol (maxlen, ttl: warnings)"),
            ignored<g>("vrrp_rt_priority", rt_why),
            ignored<g>("vrrp_priority", rt_why),
            ignored<g>("vrrp_strict",
                       "instances run as without it: accept stays on and authentication is "
                       "allowed"),
        }};
    return b;
}

// Both set keepalived's saddr: the advert source and tie-break address.
reader<instance_draft> unicast_src_ip() {
    return [](importer& imp, instance_draft& x, const std::string& where, const statement& s) {
        if (const token* t = imp.one_arg(where, s, "an IPv4 address a.b.c.d")) {
            if (auto a = imp.address(where, *t, s.keyword.text, false)) {
                x.entry.cfg.vrrp.primary_address = *a;
                mark(x, "unicast_src_ip", s);
            }
        }
    };
}

const block<instance_draft>& instance_block() {
    using d = instance_draft;
    static const auto vr = [](d& x) -> vrrp::instance_config& { return x.entry.cfg.vrrp; };
    static const block<instance_draft> b = [] {
        block<instance_draft> tbl{
            "vrrp_instance",
            "",
            unknown_is::unknown,
            {
                row<d>(
                    "interface",
                    [](importer& imp, d& x, const std::string& where, const statement& s) {
                        if (const token* t =
                                imp.one_arg(where, s, "a port name from the YAML configuration")) {
                            x.entry.cfg.port =
                                t->text; // vrrp_rules::check_vrrp checks that it exists
                            mark(x, "port", s);
                        }
                    },
                    "port: a port name of the YAML file"),
                row<d>(
                    "state",
                    [](importer& imp, d& x, const std::string& where, const statement& s) {
                        const token* t = imp.one_arg(where, s, vrrp_rules::state_expected);
                        if (t == nullptr) {
                            return;
                        }
                        mark(x, "state", s);
                        if (auto hint = vrrp_rules::parse_state(t->text)) {
                            vr(x).initial_state = *hint;
                        } else {
                            // vrrp_parser.c: "unknown state '%s', defaulting to BACKUP".
                            imp.diag_.warning(t->at,
                                              kw_subject(where, s) + " " + quote(t->text) +
                                                  " is not MASTER or BACKUP; BACKUP used, as "
                                                  "keepalived does");
                            vr(x).initial_state = vrrp::state_hint::backup;
                        }
                    },
                    "state (anything but MASTER is BACKUP, as in keepalived)"),
                row<d>(
                    "virtual_router_id",
                    [](importer& imp, d& x, const std::string& where, const statement& s) {
                        x.has_vrid = true;
                        if (auto v = imp.uint_arg(where, s, {.min = 1, .max = 255})) {
                            vr(x).vrid = static_cast<std::uint8_t>(*v);
                            mark(x, "virtual_router_id", s);
                        }
                    },
                    "virtual_router_id, 1..255 (required)"),
                uint_row<d>(
                    "priority", {.min = 1, .max = 255}, "priority",
                    [](d& x, std::uint64_t v) { vr(x).priority = static_cast<std::uint8_t>(v); },
                    "priority, 1..255"),
                uint_row<d>(
                    "version", {.min = 2, .max = 3}, "version",
                    [](d& x, std::uint64_t v) { x.version = static_cast<std::uint8_t>(v); },
                    "version, 2 or 3"),
                seconds_row<d>(
                    "advert_int", {.min = 10ms, .max = 255s}, false, "advert_int",
                    [](d& x, microseconds v) { vr(x).advert_int = v; }, "advert_int (seconds)"),
                // `preempt` is keepalived's backwards-compatible opposite.
                row<d>(
                    "nopreempt",
                    [](importer& imp, d& x, const std::string& where, const statement& s) {
                        imp.no_args(where, s);
                        vr(x).preempt = false;
                        mark(x, "nopreempt", s);
                    },
                    "preempt: false"),
                row<d>(
                    "preempt",
                    [](importer& imp, d& x, const std::string& where, const statement& s) {
                        imp.no_args(where, s);
                        vr(x).preempt = true;
                        mark(x, "preempt", s);
                    },
                    "preempt: true"),
                seconds_row<d>(
                    "preempt_delay", {.min = 0s, .max = 1000s}, false, "preempt_delay",
                    [](d& x, microseconds v) { vr(x).preempt_delay = v; },
                    "preempt_delay (seconds)"),
                row<d>(
                    "accept",
                    [](importer& imp, d& x, const std::string& where, const statement& s) {
                        imp.no_args(where, s);
                        vr(x).accept = true;
                        mark(x, "accept", s);
                    },
                    "accept: true"),
                row<d>(
                    "no_accept",
                    [](importer& imp, d& x, const std::string& where, const statement& s) {
                        imp.no_args(where, s);
                        vr(x).accept = false;
                        mark(x, "accept", s);
                    },
                    "accept: false"),
                row<d>(
                    "authentication",
                    [](importer& imp, d& x, const std::string&, const statement& s) {
                        imp.authentication(x, s);
                    },
                    "authentication (PASS; AH is an error)"),
                row<d>(
                    "virtual_ipaddress",
                    [](importer& imp, d& x, const std::string&, const statement& s) {
                        imp.virtual_ipaddress(x, s);
                    },
                    "virtual_ipaddress: the addresses (dev other than interface: warning)"),
                ignored<d>("virtual_ipaddress_excluded",
                           "excluded addresses are neither advertised nor owned by vipgate"),
                row<d>("unicast_src_ip", unicast_src_ip(), "unicast_src_ip"),
                row<d>("mcast_src_ip", unicast_src_ip(), "unicast_src_ip"),
                row<d>(
                    "unicast_peer",
                    [](importer& imp, d& x, const std::string&, const statement& s) {
                        imp.unicast_peer(x, s);
                    },
                    "unicast_peer: the peers (min_ttl/max_ttl: warning)"),
                row<d>(
                    "use_vmac",
                    [](importer& imp, d& x, const std::string& where, const statement& s) {
                        if (!imp.no_block(where, s)) {
                            return;
                        }
                        vr(x).use_vmac = true;
                        mark(x, "use_vmac", s);
                        if (!s.args.empty()) {
                            imp.diag_.warning(
                                s.args[0].at,
                                kw_subject(where, s) +
                                    ": the interface name and MAC are ignored; vipgate "
                                    "sends from 00:00:5e:00:01:VRID on the port itself");
                        }
                    },
                    "use_vmac: true (the interface name is ignored)"),
                flag_row<d>(
                    "check_unicast_src", "check_unicast_src",
                    [](d& x, bool v) { vr(x).check_unicast_src = v; }, "check_unicast_src"),
                seconds_row<d>(
                    "garp_master_delay", {.min = 0s, .max = 1h}, true, "garp_master_delay",
                    [](d& x, microseconds v) { vr(x).garp_master_delay = v; },
                    "garp_master_delay (whole seconds)"),
                uint_row<d>(
                    "garp_master_repeat", {.min = 1, .max = 1000}, "garp_master_repeat",
                    [](d& x, std::uint64_t v) {
                        vr(x).garp_master_repeat = static_cast<std::uint32_t>(v);
                    },
                    "garp_master_repeat"),
                seconds_row<d>(
                    "garp_master_refresh", {.min = 0s, .max = 24h}, true, "garp_master_refresh",
                    [](d& x, microseconds v) { vr(x).garp_master_refresh = v; },
                    "garp_master_refresh (whole seconds)"),
                uint_row<d>(
                    "garp_master_refresh_repeat", {.min = 1, .max = 1000},
                    "garp_master_refresh_repeat",
                    [](d& x, std::uint64_t v) {
                        vr(x).garp_master_refresh_repeat = static_cast<std::uint32_t>(v);
                    },
                    "garp_master_refresh_repeat"),
                seconds_row<d>(
                    "garp_lower_prio_delay", {.min = 0s, .max = 1h}, true, "garp_lower_prio_delay",
                    [](d& x, microseconds v) { vr(x).garp_lower_prio_delay = v; },
                    "garp_lower_prio_delay (whole seconds)"),
                uint_row<d>(
                    "garp_lower_prio_repeat", {.min = 0, .max = 1000}, "garp_lower_prio_repeat",
                    [](d& x, std::uint64_t v) {
                        vr(x).garp_lower_prio_repeat = static_cast<std::uint32_t>(v);
                    },
                    "garp_lower_prio_repeat"),
                flag_row<d>(
                    "lower_prio_no_advert", "lower_prio_no_advert",
                    [](d& x, bool v) { x.lower_prio_no_advert = v; }, "lower_prio_no_advert"),
                flag_row<d>(
                    "higher_prio_send_advert", "higher_prio_send_advert",
                    [](d& x, bool v) { x.higher_prio_send_advert = v; }, "higher_prio_send_advert"),
                row<d>(
                    "track_interface",
                    [](importer& imp, d& x, const std::string& where, const statement& s) {
                        imp.track_interface(where, s, x.entry.cfg.track_interfaces);
                    },
                    "{ PORT [weight N [reverse]] ... }: the ports' links change the priority, "
                    "or FAULT for weight 0"),
                row<d>(
                    "track_file",
                    [](importer& imp, d& x, const std::string& where, const statement& s) {
                        imp.track_file(where, s, x.entry.cfg.track_files);
                    },
                    "{ NAME [weight N [reverse]] ... }: the files' values change the priority, "
                    "or FAULT for weight 0"),
                ignored<d>("track_process", no_tracking),
                ignored<d>("track_bfd", no_tracking),
                ignored<d>("track_src_ip"),
                ignored<d>("dont_track_primary"),
                ignored<d>("notify_deleted", no_notify),
                ignored<d>("notify_priority_changes", no_notify),
                ignored<d>("smtp_alert", no_email),
                ignored<d>("debug"),
                ignored<d>("skip_check_adv_addr", "every advert's address list is checked"),
                ignored<d>("strict_mode", "the instance runs as without vrrp_strict"),
                ignored<d>("linkbeat_use_polling"),
                ignored<d>("promote_secondaries", "vipgate owns no kernel addresses"),
                ignored<d>("native_ipv6", "IPv4 only"),
                ignored<d>("virtual_routes", "vipgate owns no kernel routes"),
                ignored<d>("virtual_rules", "vipgate owns no kernel rules"),
                ignored<d>("vmac_xmit_base"),
                ignored<d>("old_unicast_checksum"),
                ignored<d>("kernel_rx_buf_size"),
                ignored<d>("garp_extra_if"),
                ignored<d>("unicast_fault_no_peer"),
                row<d>(
                    "lvs_sync_daemon_interface",
                    [](importer& imp, d& x, const std::string&, const statement& s) {
                        imp.lvs_sync_daemon_interface(x, s);
                    },
                    "INTERFACE: `sync` on that port, sent by this instance's master (keepalived's "
                    "older spelling of lvs_sync_daemon)"),
                row<d>(
                    "track_script",
                    [](importer& imp, d& x, const std::string& where, const statement& s) {
                        imp.track_script(where, s, x.entry.cfg.track_scripts);
                    },
                    "{ SCRIPT [weight N [reverse]] ... }: vrrp_script results change the "
                    "priority, or FAULT for weight 0"),
                notify_row<d>(
                    "notify_master_rx_lower_pri",
                    +[](d& x) -> notify_config& { return x.entry.cfg.notify; },
                    &notify_config::master_rx_lower_pri,
                    "CMD [USER [GROUP]]: run when a MASTER hears a lower priority advert"),
            }};
        append(tbl.keywords,
               notify_rows<d>(+[](d& x) -> notify_config& { return x.entry.cfg.notify; }));
        return tbl;
    }();
    return b;
}

const block<instance_draft>& authentication_block() {
    using d = instance_draft;
    static const block<instance_draft> b{
        "authentication",
        "vrrp_instance",
        unknown_is::unknown,
        {
            row<d>(
                "auth_type",
                [](importer& imp, d& x, const std::string& where, const statement& s) {
                    const token* t = imp.one_arg(where, s, "PASS (AH is not supported)");
                    if (t == nullptr) {
                        return;
                    }
                    if (t->text == "PASS") {
                        x.entry.cfg.vrrp.auth = vrrp::auth_kind::pass;
                    } else if (t->text == "AH") {
                        imp.diag_.error(t->at, kw_subject(where, s) + " AH is not supported",
                                        "auth_type PASS, or no authentication block");
                    } else {
                        imp.diag_.error(t->at,
                                        kw_subject(where, s) + " " + quote(t->text) +
                                            " is not an authentication type",
                                        "PASS (AH is not supported)");
                    }
                },
                "auth_type: PASS (AH is an error)"),
            row<d>(
                "auth_pass",
                [](importer& imp, d& x, const std::string& where, const statement& s) {
                    const token* t = imp.one_arg(where, s, "a password");
                    if (t == nullptr) {
                        return;
                    }
                    auto& pass = x.entry.cfg.vrrp.auth_pass;
                    pass = t->text;
                    if (pass.size() > vrrp_rules::auth_pass_size) {
                        // vrrp_parser.c: "Truncating auth_pass to 8 characters".
                        pass.resize(vrrp_rules::auth_pass_size);
                        imp.diag_.warning(t->at, kw_subject(where, s) +
                                                     " is longer than 8 characters; only the "
                                                     "first 8 are used, as keepalived does");
                    }
                },
                "auth_pass (longer than 8 characters: cut, with a warning)"),
        }};
    return b;
}

const block<group_draft>& sync_group_block() {
    using d = group_draft;
    static const block<group_draft> b = [] {
        block<group_draft> tbl{
            "vrrp_sync_group",
            "",
            unknown_is::unknown,
            {
                row<d>(
                    "group",
                    [](importer& imp, d& g, const std::string&, const statement& s) {
                        imp.group_list(g, s);
                    },
                    "group { INSTANCE ... }: the members"),
                row<d>(
                    "track_script",
                    [](importer& imp, d& g, const std::string& where, const statement& s) {
                        imp.track_script(where, s, g.entry.cfg.track_scripts);
                    },
                    "{ SCRIPT [weight N [reverse]] ... }: tracked by every member with the "
                    "group's weight, as keepalived does"),
                row<d>(
                    "track_interface",
                    [](importer& imp, d& g, const std::string& where, const statement& s) {
                        imp.track_interface(where, s, g.entry.cfg.track_interfaces);
                    },
                    "{ PORT [weight N [reverse]] ... }: tracked by every member with its "
                    "weight"),
                row<d>(
                    "track_file",
                    [](importer& imp, d& g, const std::string& where, const statement& s) {
                        imp.track_file(where, s, g.entry.cfg.track_files);
                    },
                    "{ NAME [weight N [reverse]] ... }: tracked by every member with the "
                    "group's weight"),
                ignored<d>("track_process", no_tracking),
                ignored<d>("track_bfd", no_tracking),
                ignored<d>("smtp_alert", no_email),
                row<d>(
                    "sync_group_tracking_weight",
                    [](importer& imp, d& g, const std::string& where, const statement& s) {
                        imp.no_args(where, s);
                        g.entry.cfg.tracking_weight = true;
                    },
                    "sync_group_tracking_weight: true"),
                // vrrp_parser.c: "global_tracking is deprecated. Use
                // track_interface/script/file on the sync group"; it sets
                // sync_group_tracking_weight.
                row<d>(
                    "global_tracking",
                    [](importer& imp, d& g, const std::string& where, const statement& s) {
                        imp.no_args(where, s);
                        imp.diag_.warning(s.keyword.at, kw_subject(where, s) +
                                                            " is deprecated (keepalived); used as "
                                                            "sync_group_tracking_weight");
                        g.entry.cfg.tracking_weight = true;
                    },
                    "sync_group_tracking_weight: true (deprecated, warning)"),
            }};
        append(tbl.keywords,
               notify_rows<d>(+[](d& g) -> notify_config& { return g.entry.cfg.notify; }));
        return tbl;
    }();
    return b;
}

// track_file NAME { ... } (keepalived.conf(5), "track_file"; 2.2.7
// trackers/track_file.c track_file_*_handler).
const block<track_file_draft>& track_file_table() {
    using d = track_file_draft;
    static const block<track_file_draft> b{
        "track_file",
        "",
        unknown_is::unknown,
        {
            row<d>(
                "file",
                [](importer& imp, d& x, const std::string& where, const statement& s) {
                    if (const token* t = imp.one_arg(where, s, "a file path")) {
                        if (x.have_file) {
                            imp.diag_.error(t->at, kw_subject(where, s) + ": a second file",
                                            "one file per track_file");
                            return;
                        }
                        x.cfg.path = t->text;
                        x.have_file = true;
                    }
                },
                "PATH: the file holding the number (required)"),
            row<d>(
                "weight",
                [](importer& imp, d& x, const std::string& where, const statement& s) {
                    if (!imp.no_block(where, s)) {
                        return;
                    }
                    if (s.args.empty()) {
                        imp.diag_.error(s.keyword.at, kw_subject(where, s) + " has no value",
                                        "weight -254..254 [reverse]");
                        return;
                    }
                    auto w = imp.weight_arg(kw_subject(where, s), s.args[0], 254);
                    if (!w) {
                        return;
                    }
                    if (s.args.size() > 1 && s.args[1].text != "reverse") {
                        imp.diag_.error(s.args[1].at,
                                        kw_subject(where, s) + ": " + quote(s.args[1].text) +
                                            " after the weight",
                                        "reverse, or nothing");
                        return;
                    }
                    x.cfg.weight = *w;
                    x.cfg.weight_reverse = s.args.size() > 1;
                    x.have_weight = true;
                },
                "N [reverse]: -254..254, the value is multiplied by it (default 1; 0: FAULT "
                "while non-zero)"),
            row<d>(
                "init_file",
                [](importer& imp, d& x, const std::string& where, const statement& s) {
                    imp.no_block(where, s);
                    x.cfg.init_value = 0;
                    for (const token& t : s.args) {
                        if (t.text == "overwrite") {
                            x.cfg.init_overwrite = true;
                            continue;
                        }
                        auto v = imp.weight_arg(kw_subject(where, s), t, 254);
                        if (!v) {
                            return;
                        }
                        x.cfg.init_value = *v;
                    }
                },
                "[VALUE] [overwrite]: write VALUE (default 0, -254..254) at start when the "
                "file is missing (always with overwrite)"),
        }};
    return b;
}

// vrrp_script NAME { ... } (man keepalived.conf, "VRRP script(s)";
// vrrp_parser.c vrrp_script_handler and the handlers after it).
const block<script_draft>& script_block() {
    using d = script_draft;
    static const block<script_draft> b{
        "vrrp_script",
        "",
        unknown_is::unknown,
        {
            row<d>(
                "script",
                [](importer& imp, d& x, const std::string& where, const statement& s) {
                    if (auto words = imp.command_arg(where, s)) {
                        x.cfg.argv = std::move(*words);
                        x.have_script = true;
                    }
                },
                "the command (quoted with its arguments); run every interval"),
            ms_row<d>(
                "interval", {.min = 10ms, .max = 24h}, "",
                [](d& x, milliseconds v) { x.cfg.interval = v; },
                "seconds between runs (default 1)"),
            ms_row<d>(
                "timeout", {.min = 10ms, .max = 24h}, "",
                [](d& x, milliseconds v) { x.cfg.timeout = v; },
                "seconds before a run is killed and failed (default: the interval)"),
            row<d>(
                "weight",
                [](importer& imp, d& x, const std::string& where, const statement& s) {
                    std::optional<int> w;
                    std::optional<bool> r;
                    if (imp.no_block(where, s) && imp.weight_args(where, s, 0, w, r)) {
                        x.cfg.weight = *w;
                        x.cfg.weight_reverse = r.value_or(false);
                    }
                },
                "N [reverse]: -253..253 added to the priority (0: FAULT while failing)"),
            uint_row<d>(
                "rise", {.min = 1, .max = 1000000}, "",
                [](d& x, std::uint64_t v) { x.cfg.rise = static_cast<std::uint32_t>(v); },
                "successes before OK (default 1)"),
            uint_row<d>(
                "fall", {.min = 1, .max = 1000000}, "",
                [](d& x, std::uint64_t v) { x.cfg.fall = static_cast<std::uint32_t>(v); },
                "failures before KO (default 1)"),
            row<d>(
                "user",
                [](importer& imp, d& x, const std::string& where, const statement& s) {
                    if (!imp.no_block(where, s)) {
                        return;
                    }
                    if (s.args.empty()) {
                        imp.diag_.error(s.keyword.at, kw_subject(where, s) + " has no value",
                                        "USER [GROUP]");
                        return;
                    }
                    x.cfg.user = s.args[0].text;
                    x.cfg.group = s.args.size() > 1 ? s.args[1].text : std::string{};
                },
                "USER [GROUP]: run as this user (default: global_defs script_user)"),
            flag_row<d>(
                "init_fail", "", [](d& x, bool v) { x.cfg.init_fail = v; },
                "starts failed; `rise` successes make it OK"),
        }};
    return b;
}

reader<vs_draft> scheduler() {
    return [](importer& imp, vs_draft& x, const std::string& where, const statement& s) {
        x.scheduler_given = true;
        imp.word_arg(where, s, lb_rules::scheduler_expected,
                     [&](std::string_view t) -> result<void> {
                         auto k = lb_rules::parse_scheduler(t);
                         if (!k.ok()) {
                             return make_error(k.message());
                         }
                         x.entry.cfg.service.scheduler = *k;
                         mark(x, "lb_algo", s);
                         return {};
                     });
    };
}

reader<vs_draft> lb_kind() {
    return [](importer& imp, vs_draft& x, const std::string& where, const statement& s) {
        x.kind_given = true;
        imp.word_arg(where, s, lb_rules::lb_kind_expected, lb_rules::parse_lb_kind);
    };
}

reader<vs_draft> hash_port() {
    return [](importer& imp, vs_draft& x, const std::string& where, const statement& s) {
        imp.no_args(where, s);
        x.entry.cfg.service.hash_port = true;
        mark(x, "hash_port", s);
    };
}

reader<vs_draft> fallback() {
    return [](importer& imp, vs_draft&, const std::string& where, const statement& s) {
        imp.no_args(where, s);
        imp.diag_.warning(s.keyword.at,
                          kw_subject(where, s) +
                              " is not needed: vipgate's sh and mh tables hold only available "
                              "real servers; ignored");
    };
}

const block<vs_draft>& vs_block() {
    using d = vs_draft;
    static const auto svc = [](d& x) -> lb::service_config& { return x.entry.cfg.service; };
    static const block<vs_draft> b = [] {
        block<vs_draft> tbl{
            "virtual_server",
            "",
            unknown_is::unknown,
            {
                ms_row<d>(
                    "delay_loop", lb_rules::delay_loop_spec, "delay_loop",
                    [](d& x, milliseconds v) { x.entry.cfg.delay_loop = v; },
                    "delay_loop: seconds between checks"),
                row<d>("lb_algo", scheduler(), "lb_algo (omitted: wlc, with a warning)"),
                row<d>("lvs_sched", scheduler(), "lb_algo"),
                row<d>("lb_kind", lb_kind(), "NAT only (omitted: NAT, with a warning)"),
                row<d>("lvs_method", lb_kind(), "NAT only"),
                row<d>(
                    "protocol",
                    [](importer& imp, d& x, const std::string& where, const statement& s) {
                        x.protocol_given = true;
                        imp.word_arg(where, s, lb_rules::protocol_expected,
                                     [&](std::string_view t) -> result<void> {
                                         auto p = lb_rules::parse_protocol(t);
                                         if (!p.ok()) {
                                             x.entry.key_ok = false;
                                             return make_error(p.message());
                                         }
                                         svc(x).proto = *p;
                                         mark(x, "protocol", s);
                                         return {};
                                     });
                    },
                    "protocol TCP or UDP (omitted: UDP, with a warning, as keepalived does)"),
                row<d>(
                    "persistence_timeout",
                    [](importer& imp, d& x, const std::string& where, const statement& s) {
                        x.timeout_given = true;
                        if (!imp.no_block(where, s)) {
                            return;
                        }
                        if (s.args.empty()) {
                            // check_parser.c pto_handler: a bare keyword means 360 s.
                            svc(x).persistence_timeout =
                                std::chrono::seconds{lb_rules::keepalived_bare_persistence_s};
                            mark(x, "persistence_timeout", s);
                            return;
                        }
                        if (auto v = imp.uint_arg(where, s,
                                                  {.min = 1, .max = lb_rules::max_persistence_s})) {
                            svc(x).persistence_timeout = std::chrono::seconds{*v};
                            mark(x, "persistence_timeout", s);
                        }
                    },
                    "persistence_timeout, seconds (bare: 360)"),
                row<d>(
                    "persistence_granularity",
                    [](importer& imp, d& x, const std::string& where, const statement& s) {
                        imp.word_arg(where, s, lb_rules::netmask_expected,
                                     [&](std::string_view t) -> result<void> {
                                         auto m = lb_rules::parse_netmask(t);
                                         if (!m.ok()) {
                                             return make_error(m.message());
                                         }
                                         svc(x).persistence_netmask = *m;
                                         mark(x, "persistence_granularity", s);
                                         return {};
                                     });
                    },
                    "persistence_granularity (alone: persistence for 360 s, with a warning)"),
                flag_row<d>(
                    "inhibit_on_failure", "inhibit_on_failure",
                    [](d& x, bool v) { x.entry.inhibit = v; }, "inhibit_on_failure"),
                row<d>("sh-port", hash_port(), "hash_port: true"),
                row<d>("mh-port", hash_port(), "hash_port: true"),
                row<d>("sh-fallback", fallback(), "not needed (a warning says why)"),
                row<d>("mh-fallback", fallback(), "not needed (a warning says why)"),
                row<d>(
                    "ip_family",
                    [](importer& imp, d&, const std::string& where, const statement& s) {
                        imp.word_arg(where, s, "inet (IPv6 services are not supported)",
                                     [](std::string_view t) -> result<void> {
                                         if (t == "inet") {
                                             return {};
                                         }
                                         return make_error(t == "inet6"
                                                               ? "is not supported (vipgate's "
                                                                 "load balancer is IPv4 only)"
                                                               : "is not an address family");
                                     });
                    },
                    "inet only"),
                row<d>(
                    "real_server",
                    [](importer& imp, d& x, const std::string&, const statement& s) {
                        imp.real_server(x, s);
                    },
                    "IP [PORT]: a real_servers item"),
                row<d>(
                    "sorry_server",
                    [](importer& imp, d& x, const std::string&, const statement& s) {
                        imp.sorry_server(x, s);
                    },
                    "sorry_server: {address, port}"),
                ignored<d>("sorry_server_inhibit",
                           "not needed: vipgate's sorry server is never scheduled while a real "
                           "server is eligible"),
                ignored<d>("sorry_server_lvs_method", no_sorry),
                // keepalived's quorum (check_parser.c quorum_handler(): 1..2^32-1;
                // hysteresis 0..2^32-1); lib/lb/quorum.hpp.
                uint_row<d>(
                    "quorum", uint_spec{.min = 1, .max = 0xffffffffu}, "quorum",
                    [](d& x, std::uint64_t v) {
                        x.entry.cfg.quorum.quorum = static_cast<std::uint32_t>(v);
                    },
                    "quorum: the live weight the service needs"),
                uint_row<d>(
                    "hysteresis", uint_spec{.min = 0, .max = 0xffffffffu}, "hysteresis",
                    [](d& x, std::uint64_t v) {
                        x.entry.cfg.quorum.hysteresis = static_cast<std::uint32_t>(v);
                    },
                    "hysteresis"),
                row<d>(
                    "quorum_up",
                    [](importer& imp, d& x, const std::string& where, const statement& s) {
                        if (read_script_command(imp, where, s, x.entry.cfg.quorum_up)) {
                            mark(x, "quorum_up", s);
                        }
                    },
                    "CMD [USER [GROUP]]: quorum_up (run when the quorum is gained)"),
                row<d>(
                    "quorum_down",
                    [](importer& imp, d& x, const std::string& where, const statement& s) {
                        if (read_script_command(imp, where, s, x.entry.cfg.quorum_down)) {
                            mark(x, "quorum_down", s);
                        }
                    },
                    "CMD [USER [GROUP]]: quorum_down (run when the quorum is lost)"),
                ignored<d>("alpha", alpha_why),
                ignored<d>("omega", "quorum_down and notify_down are not run at shutdown"),
                ignored<d>("smtp_alert", no_email),
                ignored<d>("ha_suspend"),
                ignored<d>("virtualhost", http_only),
                ignored<d>("warmup"),
                ignored<d>("persistence_engine"),
                ignored<d>("hashed"),
                ignored<d>("ops", "no one-packet scheduling"),
                ignored<d>("flag-1"),
                ignored<d>("flag-2"),
                ignored<d>("flag-3"),
                ignored<d>("weight"),
            }};
        // connect_timeout, retry, delay_before_retry: defaults for the checkers.
        append(tbl.keywords,
               check_timing<d>([](d& x) -> lb_rules::check_settings& { return x.entry.defaults; },
                               false));
        return tbl;
    }();
    return b;
}

const block<rs_draft>& rs_block() {
    using d = rs_draft;
    static const block<rs_draft> b = [] {
        block<rs_draft> tbl{
            "real_server",
            "virtual_server",
            unknown_is::unknown,
            {
                uint_row<d>(
                    "weight", {.min = 0, .max = lb_rules::max_weight}, "weight",
                    [](d& x, std::uint64_t v) {
                        x.entry.cfg.rs.weight = static_cast<std::uint32_t>(v);
                    },
                    "weight, 0..2147483647"),
                flag_row<d>(
                    "inhibit_on_failure", "inhibit_on_failure",
                    [](d& x, bool v) { x.entry.inhibit = v; }, "inhibit_on_failure"),
                row<d>(
                    "lvs_method",
                    [](importer& imp, d&, const std::string& where, const statement& s) {
                        const token* t = imp.one_arg(where, s, lb_rules::lb_kind_expected);
                        if (t == nullptr) {
                            return;
                        }
                        if (auto k = lb_rules::parse_lb_kind(t->text); !k.ok()) {
                            imp.diag_.error(t->at,
                                            kw_subject(where, s) + " " + quote(t->text) + " " +
                                                k.message(),
                                            lb_rules::lb_kind_expected);
                        }
                    },
                    "NAT only"),
                row<d>(
                    "TCP_CHECK",
                    [](importer& imp, d& x, const std::string& where, const statement& s) {
                        if (x.entry.has_check) {
                            imp.diag_.warning(s.keyword.at,
                                              where + ": a second TCP_CHECK; only the first is "
                                                      "used (ignored with its block)");
                            return;
                        }
                        imp.tcp_check(x, s);
                    },
                    "check: {type: tcp} (a second one: warning)"),
                row<d>(
                    "MISC_CHECK",
                    [](importer& imp, d& x, const std::string&, const statement& s) {
                        imp.misc_check(x, s);
                    },
                    "check: {type: misc}; several allowed, all must succeed"),
                rs_notify_row("notify_up", &real_server_entry::notify_up,
                              "CMD [USER [GROUP]]: run when the real server comes up"),
                rs_notify_row("notify_down", &real_server_entry::notify_down,
                              "CMD [USER [GROUP]]: run when the real server goes down"),
                ignored<d>("smtp_alert", no_email),
                ignored<d>("virtualhost", http_only),
                ignored<d>("alpha", alpha_why),
                ignored<d>("uthreshold", "no connection thresholds"),
                ignored<d>("lthreshold", "no connection thresholds"),
                ignored<d>("warmup"),
            }};
        // Defaults for this real server's checker.
        append(tbl.keywords,
               check_timing<d>([](d& x) -> lb_rules::check_settings& { return x.entry.defaults; },
                               true));
        // Never a silent ignore: real_server() warns that a checker vipgate
        // lacks leaves the real server without that check.
        for (std::string_view name : lb_rules::other_keepalived_checkers) {
            tbl.keywords.push_back(
                {name,
                 [](importer&, d& x, const std::string&, const statement& s) {
                     x.other_checkers.push_back(s.keyword);
                 },
                 "only TCP_CHECK and MISC_CHECK are implemented: a warning, the block is skipped",
                 false});
        }
        return tbl;
    }();
    return b;
}

const block<rs_draft>& tcp_check_block() {
    using d = rs_draft;
    static const block<rs_draft> b = [] {
        block<rs_draft> tbl{
            "TCP_CHECK",
            "real_server",
            unknown_is::unknown,
            {
                row<d>(
                    "connect_ip",
                    [](importer& imp, d& x, const std::string& where, const statement& s) {
                        if (const token* t = imp.one_arg(where, s, "an IPv4 address a.b.c.d")) {
                            if (auto a = imp.lb_address(where, *t, "connect_ip")) {
                                x.entry.connect_ip = *a;
                            }
                        }
                    },
                    "the address to connect to (default: the real server's)"),
                uint_row<d>(
                    "connect_port", {.min = 1, .max = 65535}, "",
                    [](d& x, std::uint64_t v) {
                        x.entry.connect_port = static_cast<std::uint16_t>(v);
                    },
                    "the port to connect to (default: the real server's)"),
                ignored<d>("bindto", "vipgate chooses the check's source address"),
                ignored<d>("bind_port", "vipgate chooses the check's source port"),
                ignored<d>("bind_if", "vipgate chooses the check's source address"),
                ignored<d>("warmup"),
                ignored<d>("fwmark"),
                ignored<d>("alpha", alpha_why),
            }};
        append(
            tbl.keywords,
            check_timing<d>([](d& x) -> lb_rules::check_settings& { return x.entry.check; }, true));
        return tbl;
    }();
    return b;
}

// MISC_CHECK { ... } (man keepalived.conf, MISC_CHECK; check_misc.c): the
// keywords of keepalived's checkers without connection keywords. Read into
// the real server's last misc entry (misc_check() appends it).
const block<rs_draft>& misc_check_block() {
    using d = rs_draft;
    static const block<rs_draft> b = [] {
        block<rs_draft> tbl{
            "MISC_CHECK",
            "real_server",
            unknown_is::unknown,
            {
                row<d>(
                    "misc_path",
                    [](importer& imp, d& x, const std::string& where, const statement& s) {
                        if (auto words = imp.command_arg(where, s)) {
                            x.entry.misc.back().cfg.argv = std::move(*words);
                            x.entry.misc.back().have_path = true;
                        }
                    },
                    "the command (quoted with its arguments); exit 0 is up"),
                ms_row<d>(
                    "misc_timeout", lb_rules::misc_timeout_spec, "",
                    [](d& x, milliseconds v) { x.entry.misc.back().cfg.timeout = v; },
                    "seconds before a run is killed and failed (default: delay_loop)"),
                flag_row<d>(
                    "misc_dynamic", "", [](d& x, bool v) { x.entry.misc.back().cfg.dynamic = v; },
                    "exit 1 is down, 2..255 up with weight status - 2"),
                row<d>(
                    "user",
                    [](importer& imp, d& x, const std::string& where, const statement& s) {
                        if (!imp.no_block(where, s)) {
                            return;
                        }
                        if (s.args.empty() || s.args.size() > 2) {
                            imp.diag_.error(s.keyword.at,
                                            kw_subject(where, s) + (s.args.empty()
                                                                        ? " has no value"
                                                                        : " has too many values"),
                                            "user USER [GROUP]");
                            return;
                        }
                        x.entry.misc.back().cfg.user = s.args[0].text;
                        x.entry.misc.back().cfg.group =
                            s.args.size() > 1 ? s.args[1].text : std::string{};
                    },
                    "USER [GROUP]: run as this user (default: global_defs script_user)"),
                ms_row<d>(
                    "warmup", lb_rules::warmup_spec, "",
                    [](d& x, milliseconds v) { x.entry.misc.back().cfg.warmup = v; },
                    "the first run after a random delay up to this many seconds"),
                ignored<d>("connect_timeout", "a MISC_CHECK has no connection: misc_timeout"),
                ignored<d>("alpha", alpha_why),
                ignored<d>("log_all_failures"),
            }};
        // delay_loop, retry (nb_get_retry), delay_before_retry.
        for (auto& k : check_timing<d>(
                 [](d& x) -> lb_rules::check_settings& { return x.entry.misc.back().check; },
                 true)) {
            if (k.name != "connect_timeout") {
                tbl.keywords.push_back(std::move(k));
            }
        }
        return tbl;
    }();
    return b;
}

// ---- blocks -------------------------------------------------------------------------------

void importer::global_defs(const statement& st) {
    if (need_block({}, st)) {
        read_block(global_block(), *this, "global_defs", st.block);
    }
}

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
    read_block(instance_block(), d, where, st.block);
    finish_instance(d);
    instances_.push_back(std::move(d));
}

void importer::authentication(instance_draft& d, const statement& st) {
    if (!need_block(d.entry.subject, st)) {
        return;
    }
    d.entry.at["authentication"] = st.keyword.at;
    read_block(authentication_block(), d, d.entry.subject + ": authentication", st.block);
}

// The options of a virtual_ipaddress line after the address (keepalived's
// vrrp_ipaddress.c): ADDR[/LEN] [dev IF] [brd ADDR] [scope S] [label L]
// [peer ADDR] [home] [-nodad] ... An option not listed takes no value and is
// a warning, like the listed unsupported ones.
enum class vip_option_use {
    dev,              // recorded: a dev other than the instance's interface is a warning
    kernel_attribute, // nothing to do without a kernel address
    unsupported,      // a warning
};
struct vip_option {
    std::string_view name;
    bool takes_value;
    vip_option_use use;
};
constexpr vip_option vip_options[] = {
    {"dev", true, vip_option_use::dev},
    {"label", true, vip_option_use::kernel_attribute},
    {"brd", true, vip_option_use::kernel_attribute},
    {"broadcast", true, vip_option_use::kernel_attribute},
    {"scope", true, vip_option_use::kernel_attribute},
    {"peer", true, vip_option_use::unsupported},
    {"preferred_lft", true, vip_option_use::unsupported},
    {"track_group", true, vip_option_use::unsupported},
};

void importer::virtual_ipaddress(instance_draft& d, const statement& st) {
    const std::string where = d.entry.subject + ": virtual_ipaddress";
    if (!need_block(d.entry.subject, st)) {
        return;
    }
    d.entry.at.try_emplace("virtual_ipaddress", st.keyword.at);
    for (const statement& line : st.block) {
        if (!no_block(where, line)) {
            continue;
        }
        auto a = address(where, line.keyword, "address", true);
        for (std::size_t i = 0; i < line.args.size(); ++i) {
            const token& opt = line.args[i];
            const auto known =
                std::find_if(std::begin(vip_options), std::end(vip_options),
                             [&](const vip_option& o) { return o.name == opt.text; });
            const bool takes_value = known != std::end(vip_options) && known->takes_value;
            const vip_option_use use =
                known != std::end(vip_options) ? known->use : vip_option_use::unsupported;
            if (takes_value && i + 1 >= line.args.size()) {
                diag_.error(opt.at, where + ": " + quote(opt.text) + " has no value",
                            opt.text + " VALUE");
                continue;
            }
            if (use == vip_option_use::dev) {
                d.vip_devs.push_back(line.args[i + 1]);
            } else if (use == vip_option_use::unsupported) {
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

void importer::vrrp_script(const statement& st) {
    if (st.args.size() != 1) {
        diag_.error(st.keyword.at, "vrrp_script needs exactly one name",
                    "vrrp_script NAME { script \"...\" ... }");
        return;
    }
    const token& name = st.args[0];
    const std::string where = "vrrp_script " + name.text;
    if (!vrrp_rules::valid_name(name.text)) {
        diag_.error(name.at, "vrrp_script " + quote(name.text) + " is not a valid script name",
                    vrrp_rules::name_expected);
        return;
    }
    if (!need_block({}, st, 1)) {
        return;
    }
    script_draft d;
    d.cfg.name = name.text;
    d.cfg.where = st.keyword.at;
    read_block(script_block(), d, where, st.block);
    if (!d.have_script) {
        diag_.error(st.keyword.at, where + ": no script", "script \"/path/to/check args\"");
        return;
    }
    for (const auto& other : scripts_) {
        if (other.name == d.cfg.name) {
            diag_.error(name.at,
                        where + ": a second vrrp_script of that name (the first is at " +
                            other.where.to_string() + ")",
                        "a unique vrrp_script name");
            return;
        }
    }
    scripts_.push_back(std::move(d.cfg));
}

void importer::track_file_block(const statement& st) {
    const std::string kw = st.keyword.text;
    if (st.args.size() != 1) {
        diag_.error(st.keyword.at, kw + " needs exactly one name", kw + " NAME { file PATH ... }");
        return;
    }
    const token& name = st.args[0];
    const std::string where = kw + " " + name.text;
    if (!need_block({}, st, 1)) {
        return;
    }
    track_file_draft d;
    d.cfg.name = name.text;
    d.cfg.where = st.keyword.at;
    read_block(track_file_table(), d, where, st.block);
    if (!d.have_file) {
        // keepalived: "No file set for track_file %s - ignoring".
        diag_.error(st.keyword.at, where + ": no file", "file /path/to/file");
        return;
    }
    for (const auto& other : track_files_) {
        if (other.name == d.cfg.name) {
            diag_.error(name.at,
                        where + ": a second track_file of that name (the first is at " +
                            other.where.to_string() + ")",
                        "a unique track_file name");
            return;
        }
    }
    track_files_.push_back(std::move(d.cfg));
}

// track_file { NAME [weight N [reverse|noreverse]] ... } (track_file.c
// vrrp_alloc_track_file(): weight -254..254, default the block's); the
// names are resolved once the file is read (resolve_track_files()).
void importer::track_file(const std::string& where, const statement& st,
                          std::vector<track_file_ref>& out) {
    if (!need_block(where, st)) {
        return;
    }
    const std::string sub = kw_subject(where, st);
    for (const statement& line : st.block) {
        track_file_ref ref;
        ref.name = line.keyword.text;
        ref.where = line.keyword.at;
        ref.weight = track_file_ref::unset;
        const std::string what = sub + " " + ref.name;
        if (line.has_block) {
            diag_.error(line.block_at, sub + ": " + quote(ref.name) + " takes no block",
                        "NAME [weight N [reverse]], one a line");
            continue;
        }
        if (!line.args.empty()) {
            if (line.args[0].text != "weight" || line.args.size() < 2) {
                diag_.error(line.args[0].at,
                            line.args[0].text != "weight"
                                ? what + ": " + quote(line.args[0].text) + " is not an option"
                                : what + ": weight has no value",
                            "weight -254..254 [reverse|noreverse], or nothing");
                continue;
            }
            auto w = weight_arg(what, line.args[1], 254);
            if (!w) {
                continue;
            }
            ref.weight = *w;
            ref.reverse_set = line.args.size() > 2;
            if (ref.reverse_set) {
                const std::string& r = line.args[2].text;
                if (r != "reverse" && r != "noreverse") {
                    diag_.error(line.args[2].at, what + ": " + quote(r) + " after the weight",
                                "reverse, noreverse, or nothing");
                    continue;
                }
                ref.reverse = r == "reverse";
            }
        }
        out.push_back(std::move(ref));
    }
}

// Each line's file by name (an unknown name is an error; keepalived: "track
// file %s not found, ignoring"), its defaults from the block; a repeated
// name is a warning, the first line counts ("duplicate track_file").
void importer::resolve_track_files(const std::string& where, std::vector<track_file_ref>& refs) {
    std::vector<track_file_ref> out;
    for (auto& r : refs) {
        const auto f = std::find_if(track_files_.begin(), track_files_.end(),
                                    [&](const track_file_config& c) { return c.name == r.name; });
        if (f == track_files_.end()) {
            diag_.error(r.where, where + ": track_file " + quote(r.name) + " is not defined",
                        "the name of a track_file block");
            continue;
        }
        const auto dup = std::find_if(out.begin(), out.end(),
                                      [&](const track_file_ref& o) { return o.name == r.name; });
        if (dup != out.end()) {
            diag_.warning(r.where, where + ": duplicate track_file " + r.name + " (first at " +
                                       dup->where.to_string() + "); ignored, as keepalived does");
            continue;
        }
        r.path = f->path;
        if (r.weight == track_file_ref::unset) {
            r.weight = f->weight;
            r.reverse = f->weight_reverse;
        } else if (!r.reverse_set) {
            r.reverse = f->weight_reverse;
        }
        out.push_back(std::move(r));
    }
    refs = std::move(out);
}

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
    group_draft d;
    vrrp_group_entry& g = d.entry;
    g.syntax = vrrp_rules::dialect::keepalived;
    g.subject = where;
    g.cfg.name = name.text;
    g.cfg.where = st.keyword.at;
    g.name_at = name.at;
    read_block(sync_group_block(), d, where, st.block);
    if (!d.have_group) {
        diag_.error(st.keyword.at, where + ": no group list",
                    "group { INSTANCE ... } in every vrrp_sync_group");
    }
    groups_.push_back(std::move(g));
}

void importer::group_list(group_draft& d, const statement& s) {
    vrrp_group_entry& g = d.entry;
    const std::string& where = g.subject;
    if (d.have_group) {
        // vrrp_parser.c: "Group list already specified for sync group %s".
        diag_.warning(s.keyword.at, where + ": a second group list; ignored, as keepalived does");
        return;
    }
    d.have_group = true;
    if (!need_block(where, s)) {
        return;
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

// ---- virtual_server ---------------------------------------------------------------------

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
    read_block(vs_block(), d, where, st.block);
    finish_virtual_server(d);
    virtual_servers_.push_back(std::move(e));
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
    lb_rules::settle_quorum(diag_, e);
}

// `sorry_server IP [PORT]` (keepalived.conf(5); its port defaults to the
// virtual server's, as a real server's does).
void importer::sorry_server(vs_draft& d, const statement& st) {
    const std::string where = d.entry.subject + ": sorry_server";
    if (st.args.empty() || st.args.size() > 2) {
        diag_.error(st.keyword.at, where + " needs an address and an optional port",
                    "sorry_server IP [PORT]");
        return;
    }
    lb::real_server_config r;
    d.entry.at["sorry_server"] = st.args[0].at;
    if (auto a = lb_address(where, st.args[0], "address")) {
        r.address = *a;
    } else {
        return;
    }
    if (st.args.size() > 1) {
        if (auto p = parse_uint(st.args[1].text, 1, 65535); p.ok()) {
            r.port = static_cast<std::uint16_t>(*p);
        } else {
            diag_.error(st.args[1].at,
                        where + ": port " + quote(st.args[1].text) + " " + p.message(),
                        "a port 1..65535, or none for the virtual server's port");
            return;
        }
    }
    d.entry.cfg.service.sorry_server = r;
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
    read_block(rs_block(), r, e.subject, st.block);
    // Never a silent ignore: a checker vipgate lacks leaves the real server
    // without that check.
    std::string rs_name = e.cfg.rs.address.to_string();
    if (e.cfg.rs.port != 0) {
        rs_name += ':';
        rs_name += std::to_string(e.cfg.rs.port);
    }
    const char* checked_by = e.has_check && e.misc.empty() ? " is checked by its TCP_CHECK only"
                             : e.has_check || !e.misc.empty()
                                 ? " is checked by its TCP_CHECK and MISC_CHECK blocks only"
                                 : " is treated as always up";
    for (const token& t : r.other_checkers) {
        diag_.warning(t.at, e.subject + ": " + t.text +
                                ": only TCP_CHECK and MISC_CHECK are implemented; real server " +
                                rs_name + checked_by + " (ignored with its block)");
    }
    d.entry.rs.push_back(std::move(e));
}

void importer::tcp_check(rs_draft& r, const statement& st) {
    lb_rules::rs_entry& e = r.entry;
    if (!need_block(e.subject, st)) {
        return;
    }
    e.has_check = true;
    read_block(tcp_check_block(), r, e.subject + ": TCP_CHECK", st.block);
}

void importer::misc_check(rs_draft& r, const statement& st) {
    lb_rules::rs_entry& e = r.entry;
    if (!need_block(e.subject, st)) {
        return;
    }
    const std::string where = e.subject + ": MISC_CHECK";
    e.misc.emplace_back();
    e.misc.back().cfg.where = st.keyword.at;
    read_block(misc_check_block(), r, where, st.block);
    if (!e.misc.back().have_path) {
        // keepalived drops such a checker ("Misc check with no script
        // specified"); vipgate refuses it.
        diag_.error(st.keyword.at, where + " has no misc_path",
                    "misc_path \"/path/to/script [ARGS]\" inside MISC_CHECK { ... }");
        e.misc.pop_back();
    }
}

// ---- lvs_sync_daemon ------------------------------------------------------------------
// keepalived 2.2.7 (global_parser.c): `lvs_sync_daemon INTERFACE [[inst]
// INSTANCE] [id N] [maxlen N] [port N] [ttl N] [group ADDR]`; a bare word
// right after INTERFACE is the instance and a bare number after it the sync
// id (the pre-"inst"/"id" form). The options of IPVS's daemon that
// vipgate's protocol has no use for are warnings; keepalived's defaults for
// port and group (IPVS's 8848 and 224.0.0.81) are not taken over: vipgate's
// stream is not IPVS's (docs/ha.md).

enum class sync_option_use { inst, id, udp_port, group, maxlen, ttl };
struct sync_line_option {
    std::string_view name;
    std::string_view key; // YAML key (where the value was written)
    sync_option_use use;
};
constexpr sync_line_option sync_line_options[] = {
    {"inst", "instance", sync_option_use::inst},     {"id", "id", sync_option_use::id},
    {"port", "udp_port", sync_option_use::udp_port}, {"group", "group", sync_option_use::group},
    {"maxlen", "", sync_option_use::maxlen},         {"ttl", "", sync_option_use::ttl},
};

// Reads the option at args[i] (and its value); false for an unknown word.
bool importer::sync_option(sync_rules::sync_entry& e, const statement& st, std::size_t& i) {
    const token& opt = st.args[i];
    const auto* o = std::find_if(std::begin(sync_line_options), std::end(sync_line_options),
                                 [&](const sync_line_option& x) { return x.name == opt.text; });
    if (o == std::end(sync_line_options)) {
        return false;
    }
    const std::string where = e.subject + ": " + opt.text;
    if (i + 1 >= st.args.size()) {
        diag_.error(opt.at, where + " has no value", opt.text + " VALUE");
        ++i;
        return true;
    }
    const token& v = st.args[++i];
    if (!o->key.empty()) {
        e.at[std::string(o->key)] = v.at;
    }
    const auto number = [&](const uint_spec& spec) -> std::optional<std::uint64_t> {
        auto n = spec.parse(v.text);
        if (!n.ok()) {
            diag_.error(v.at, where + " " + quote(v.text) + " " + n.message(), spec.expected());
            return std::nullopt;
        }
        return *n;
    };
    switch (o->use) {
    case sync_option_use::inst:
        e.cfg.instance = v.text;
        break;
    case sync_option_use::id:
        if (auto n = number(sync_rules::keepalived_id_spec)) {
            e.cfg.id = static_cast<std::uint32_t>(*n);
            sync_id_given_ = true;
        }
        break;
    case sync_option_use::udp_port:
        if (auto n = number(sync_rules::udp_port_spec)) {
            e.cfg.udp_port = static_cast<std::uint16_t>(*n);
        }
        break;
    case sync_option_use::group:
        if (auto a = net::ipv4_addr::parse(v.text)) {
            e.cfg.group = *a;
            e.group_written = true;
        } else {
            diag_.error(v.at, where + " " + quote(v.text) + " is not an IPv4 address",
                        "an IPv4 multicast group such as 224.0.0.84");
        }
        break;
    case sync_option_use::maxlen:
        if (number({.min = 1, .max = 65535 - 20 - 8})) {
            diag_.warning(opt.at, where + " is not used: vipgate fills sync messages up to the "
                                          "sync port's MTU; ignored");
        }
        break;
    case sync_option_use::ttl:
        if (number({.min = 1, .max = 255})) {
            diag_.warning(opt.at, where + " is not used: vipgate sends with TTL 255 and accepts "
                                          "only TTL 255 (the sender is on the link); ignored");
        }
        break;
    }
    return true;
}

void importer::lvs_sync_daemon(const statement& st) {
    const std::string where = "global_defs: lvs_sync_daemon";
    if (!no_block("global_defs", st)) {
        return;
    }
    if (sync_) {
        diag_.warning(st.keyword.at, where +
                                         " is given a second time; ignored, as keepalived "
                                         "does (the first is at " +
                                         sync_->cfg.where.to_string() + ")");
        return;
    }
    if (st.args.empty()) {
        diag_.error(st.keyword.at, where + " has no interface",
                    "lvs_sync_daemon INTERFACE [inst INSTANCE] [id N] [port P] [group G], "
                    "INTERFACE a port name from the YAML configuration");
        return;
    }
    sync_rules::sync_entry e;
    e.syntax = sync_rules::dialect::keepalived;
    e.subject = where;
    e.cfg.where = st.keyword.at;
    e.cfg.port = st.args[0].text;
    e.at["port"] = st.args[0].at;
    for (std::size_t i = 1; i < st.args.size(); ++i) {
        if (sync_option(e, st, i)) {
            continue;
        }
        const token& t = st.args[i];
        if (i == 1) {
            e.cfg.instance = t.text; // the older form: INTERFACE INSTANCE
            e.at["instance"] = t.at;
        } else if (i == 2 && parse_uint(t.text, 0, 255).ok()) {
            e.cfg.id = static_cast<std::uint32_t>(*parse_uint(t.text, 0, 255));
            e.at["id"] = t.at;
            sync_id_given_ = true;
            diag_.warning(t.at, where + ": a bare sync id " + quote(t.text) +
                                    " is keepalived's older form; write `id " + t.text + "`");
        } else {
            diag_.warning(t.at, where + ": unknown option " + quote(t.text) +
                                    "; ignored, as keepalived does");
        }
    }
    sync_ = std::move(e);
}

// keepalived's deprecated form inside a vrrp_instance (vrrp_parser.c): the
// enclosing instance is the one whose state the sync follows.
void importer::lvs_sync_daemon_interface(instance_draft& d, const statement& st) {
    const std::string where = d.entry.subject + ": lvs_sync_daemon_interface";
    const token* t = one_arg(d.entry.subject, st, "a port name from the YAML configuration");
    if (t == nullptr) {
        return;
    }
    if (sync_) {
        diag_.warning(st.keyword.at, where + " after another sync line (at " +
                                         sync_->cfg.where.to_string() +
                                         "); ignored, as keepalived does");
        return;
    }
    sync_rules::sync_entry e;
    e.syntax = sync_rules::dialect::keepalived;
    e.subject = where;
    e.cfg.where = st.keyword.at;
    e.cfg.port = t->text;
    e.at["port"] = t->at;
    e.cfg.instance = d.entry.cfg.vrrp.name;
    e.at["instance"] = st.keyword.at;
    sync_ = std::move(e);
}

// After every file: keepalived's sync id defaults to the instance's VRID
// (0 without an instance); vipgate's own port and group apply unless given.
void importer::finish_sync(const std::vector<vrrp_entry>& instances) {
    if (!sync_) {
        return;
    }
    auto& e = *sync_;
    if (!sync_id_given_ && !e.cfg.instance.empty()) {
        for (const auto& i : instances) {
            if (i.cfg.vrrp.name == e.cfg.instance) {
                e.cfg.id = i.cfg.vrrp.vrid;
            }
        }
    }
    const bool port_given = e.at.contains("udp_port");
    if (!port_given || !e.group_written) {
        std::string what;
        if (!port_given) {
            what = "UDP port " + std::to_string(e.cfg.udp_port);
        }
        if (!e.group_written) {
            what += (what.empty() ? "group " : " and group ") + e.cfg.group.to_string();
        }
        diag_.warning(e.cfg.where,
                      e.subject + ": vipgate's own sync protocol on " + what +
                          ", not IPVS's defaults (8848, 224.0.0.81): both gateways must run "
                          "vipgate, and a firewall must let it through");
    }
}

void importer::run(const std::vector<statement>& top) {
    read_block(top_block(), *this, "", top); // top-level messages need no prefix
    for (auto& d : instances_) {
        complete(d);
        check_tracks(d.entry.subject, d.entry.cfg.track_scripts);
        resolve_track_files(d.entry.subject, d.entry.cfg.track_files);
    }
    for (auto& g : groups_) {
        check_tracks(g.subject, g.cfg.track_scripts);
        resolve_track_files(g.subject, g.cfg.track_files);
    }
}

// ---- what the tables say, for --help ------------------------------------------------------

template <class Ctx>
keepalived::block_doc doc_of(const block<Ctx>& b) {
    keepalived::block_doc doc{b.name, b.inside, {}};
    for (const auto& k : b.keywords) {
        doc.keywords.push_back({k.name, k.supported, k.note});
    }
    return doc;
}

} // namespace

namespace keepalived {

std::vector<block_doc> keyword_tables() {
    return {doc_of(top_block()),        doc_of(global_block()),
            doc_of(instance_block()),   doc_of(authentication_block()),
            doc_of(sync_group_block()), doc_of(script_block()),
            doc_of(track_file_table()), doc_of(vs_block()),
            doc_of(rs_block()),         doc_of(tcp_check_block()),
            doc_of(misc_check_block())};
}

std::string imported_blocks() {
    const auto tables = keyword_tables();
    // The top-level block that `name` lies in ("virtual_server" for TCP_CHECK).
    const auto top_of = [&](std::string_view name) {
        for (bool moved = true; moved;) {
            moved = false;
            for (const auto& b : tables) {
                if (b.block == name && !b.inside.empty()) {
                    name = b.inside;
                    moved = true;
                }
            }
        }
        return name;
    };
    std::string out;
    const auto& top = tables.front();
    for (const auto& k : top.keywords) {
        if (!k.supported) {
            continue;
        }
        if (!out.empty()) {
            out += ", ";
        }
        out += k.keyword;
        std::string nested;
        for (const auto& b : tables) {
            if (!b.inside.empty() && top_of(b.block) == k.keyword) {
                nested += (nested.empty() ? "" : ", ") + std::string(b.block);
            }
        }
        if (!nested.empty()) {
            out += " (with " + nested + ")";
        }
    }
    return out;
}

std::string keyword_reference() {
    std::string out =
        "keepalived.conf keywords that vipgate --keepalived-conf reads, block by block.\n"
        "'-' marks a keyword keepalived has and vipgate does not: a warning with its\n"
        "file:line, the keyword and its block are skipped. Any other keyword is an\n"
        "unknown one: a warning too, as keepalived does.\n";
    for (const auto& b : keyword_tables()) {
        out += "\n";
        out += b.block.empty() ? std::string("top level") : std::string(b.block);
        out += b.inside.empty() ? std::string() : " (in " + std::string(b.inside) + ")";
        out += ":\n";
        for (const auto& k : b.keywords) {
            std::string line = std::string(k.supported ? "    " : "  - ") + std::string(k.keyword);
            if (!k.note.empty()) {
                line.resize(std::max<std::size_t>(line.size() + 1, 34), ' ');
                line += k.note;
            }
            out += line + "\n";
        }
    }
    return out;
}

} // namespace keepalived

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
        imp.finish_sync(all);
        if (imp.sync() && base.sync) {
            diag.error(imp.sync()->cfg.where,
                       imp.sync()->subject + ": the YAML configuration has a sync section (at " +
                           base.sync->where.to_string() + ")",
                       "the sync configured once: the YAML `sync` section or this line");
        } else if (imp.sync()) {
            sync_rules::check_sync(diag, base.ports, instances, *imp.sync());
        }
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
        if (imp.sync()) {
            base.sync = std::move(imp.sync()->cfg);
        }
        for (auto& sc : imp.scripts()) {
            base.vrrp_scripts.push_back(std::move(sc));
        }
        for (auto& tf : imp.track_files()) {
            base.track_files.push_back(std::move(tf));
        }
        base.scripts = imp.script_settings();
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
