#include "config/yaml_util.hpp"

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cctype>
#include <sstream>
#include <tuple>

namespace vipgate::config {

std::string source_location::to_string() const {
    if (line <= 0) {
        return file;
    }
    return file + ':' + std::to_string(line) + ':' + std::to_string(column);
}

// ---- diagnostics ------------------------------------------------------------

source_location diagnostics::where(const YAML::Mark& mark) const {
    if (mark.is_null() || mark.line < 0 || mark.column < 0) {
        return {file_, 0, 0};
    }
    return {file_, mark.line + 1, mark.column + 1};
}

namespace {
// One message per line is the contract; text from the file is quoted by
// quote(), this catches anything that slipped through unquoted.
void one_line(std::string& text) {
    for (auto& c : text) {
        if (c == '\n' || c == '\r') {
            c = ' ';
        }
    }
}
} // namespace

void diagnostics::error(const source_location& at, std::string_view what,
                        std::string_view expected) {
    std::string text = at.to_string();
    text += ": ";
    text += what;
    if (!expected.empty()) {
        text += "; expected ";
        text += expected;
    }
    one_line(text);
    entries_.push_back({at, std::move(text)});
}

void diagnostics::warning(const source_location& at, std::string_view what) {
    std::string text = at.to_string();
    text += ": ";
    text += what;
    one_line(text);
    warnings_.push_back({at, std::move(text)});
}

std::vector<const diagnostics::entry*>
diagnostics::ordered(const std::vector<entry>& entries) const {
    std::vector<const entry*> sorted;
    sorted.reserve(entries.size());
    for (const auto& e : entries) {
        sorted.push_back(&e);
    }
    if (order_ == ordering::by_position) {
        std::stable_sort(sorted.begin(), sorted.end(), [](const entry* a, const entry* b) {
            return std::pair(a->at.line, a->at.column) < std::pair(b->at.line, b->at.column);
        });
    } else if (!ranked_files_.empty()) {
        auto rank = [this](const std::string& file) {
            const auto it = std::find(ranked_files_.begin(), ranked_files_.end(), file);
            return static_cast<std::size_t>(it - ranked_files_.begin());
        };
        std::stable_sort(sorted.begin(), sorted.end(), [&](const entry* a, const entry* b) {
            return std::tuple(rank(a->at.file), a->at.line, a->at.column) <
                   std::tuple(rank(b->at.file), b->at.line, b->at.column);
        });
    }
    return sorted;
}

std::vector<std::string> diagnostics::warnings() const {
    std::vector<std::string> out;
    for (const entry* e : ordered(warnings_)) {
        out.push_back(e->text);
    }
    return out;
}

std::string diagnostics::message() const {
    const std::vector<const entry*> sorted = ordered(entries_);
    std::string out;
    std::size_t listed = 0;
    for (const entry* e : sorted) {
        if (listed == max_listed) {
            out += file_ + ": " + std::to_string(sorted.size() - listed) +
                   " more errors not shown; expected " +
                   (order_ == ordering::by_position ? "a YAML configuration file\n"
                                                    : "a configuration file\n");
            break;
        }
        out += e->text;
        out += '\n';
        ++listed;
    }
    if (!out.empty()) {
        out.pop_back();
    }
    return out;
}

// ---- documents ------------------------------------------------------------------

namespace {

// Records where each document starts and ignores the rest: the first pass only
// counts documents, YAML::Load builds the tree afterwards.
class document_starts : public YAML::EventHandler {
  public:
    std::vector<YAML::Mark> starts;

    void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
};

void syntax_error(diagnostics& diag, const YAML::Exception& e) {
    diag.error(diag.where(e.mark), "YAML syntax error: " + e.msg, "well-formed YAML");
}

} // namespace

std::optional<YAML::Node> parse_single_document(diagnostics& diag, const std::string& text,
                                                std::string_view expected) {
    document_starts docs;
    try {
        std::istringstream in(text);
        YAML::Parser parser(in);
        // Three calls tell "one document", "a second document" and "stuck"
        // apart: every real document consumes input, so two documents starting
        // at the same position mean the parser is not advancing.
        for (int i = 0; i < 3 && parser.HandleNextDocument(docs); ++i) {
        }
    } catch (const YAML::Exception& e) {
        syntax_error(diag, e);
        return std::nullopt;
    }
    for (std::size_t i = 1; i < docs.starts.size(); ++i) {
        if (docs.starts[i].pos == docs.starts[i - 1].pos) {
            const auto pos = static_cast<std::size_t>(std::max(docs.starts[i].pos, 0));
            const std::string what =
                pos < text.size() ? "unexpected " + quote(text.substr(pos, 1)) : "unexpected input";
            diag.error(diag.where(docs.starts[i]),
                       "YAML syntax error: " + what + " outside a flow collection",
                       "well-formed YAML");
            return std::nullopt;
        }
    }
    if (docs.starts.empty()) {
        diag.error(source_location{diag.file(), 1, 1}, "the file has no YAML document", expected);
        return std::nullopt;
    }
    if (docs.starts.size() > 1) {
        diag.error(diag.where(docs.starts[1]), "a second YAML document starts here",
                   "a single document");
    }
    try {
        return YAML::Load(text);
    } catch (const YAML::Exception& e) {
        syntax_error(diag, e); // the first pass saw the same text: not expected
        return std::nullopt;
    }
}

// ---- message helpers ------------------------------------------------------------

std::string child_path(std::string_view parent, std::string_view key) {
    if (parent.empty()) {
        return std::string(key);
    }
    std::string p(parent);
    p += '.';
    p += key;
    return p;
}

std::string index_path(std::string_view parent, std::size_t index) {
    return std::string(parent) + '[' + std::to_string(index) + ']';
}

std::string subject(std::string_view path) {
    return path.empty() ? std::string("top level: ") : std::string(path) + ": ";
}

std::string quote(std::string_view text) {
    constexpr std::size_t max_shown = 40;
    std::string out = "'";
    std::size_t shown = 0;
    for (char c : text) {
        if (shown == max_shown) {
            out += "...";
            break;
        }
        const auto u = static_cast<unsigned char>(c);
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (u < 0x20 || u == 0x7f) {
            static constexpr char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 0xf];
        } else {
            out += c;
        }
        ++shown;
    }
    out += '\'';
    return out;
}

std::string describe(const YAML::Node& node) {
    switch (node.Type()) {
    case YAML::NodeType::Null:
        return "no value";
    case YAML::NodeType::Sequence:
        return "a sequence";
    case YAML::NodeType::Map:
        return "a map";
    case YAML::NodeType::Scalar:
        // yaml-cpp tags quoted scalars "!" and plain ones "?".
        return (node.Tag() == "!" ? "a quoted string " : "") + quote(node.Scalar());
    case YAML::NodeType::Undefined:
        break;
    }
    return "nothing";
}

std::string join_keys(const std::vector<std::string_view>& keys) {
    std::string s;
    for (const auto& k : keys) {
        if (!s.empty()) {
            s += ", ";
        }
        s += k;
    }
    return s;
}

std::optional<std::string_view> closest_key(std::string_view word,
                                            const std::vector<std::string_view>& keys) {
    auto lower = [](std::string_view s) {
        std::string r(s);
        for (auto& c : r) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        return r;
    };
    // Optimal string alignment distance: Levenshtein plus adjacent transposition
    // ("wrokers" is one edit from "workers").
    auto distance = [](const std::string& a, const std::string& b) {
        std::vector<std::vector<std::size_t>> d(a.size() + 1,
                                                std::vector<std::size_t>(b.size() + 1));
        for (std::size_t i = 0; i <= a.size(); ++i) {
            d[i][0] = i;
        }
        for (std::size_t j = 0; j <= b.size(); ++j) {
            d[0][j] = j;
        }
        for (std::size_t i = 1; i <= a.size(); ++i) {
            for (std::size_t j = 1; j <= b.size(); ++j) {
                const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                    d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.size()][b.size()];
    };
    if (word.size() > 64) {
        return std::nullopt;
    }
    const std::string w = lower(word);
    std::optional<std::string_view> best;
    std::size_t best_distance = 3; // accept at most 2 edits
    for (const auto& k : keys) {
        const std::size_t dist = distance(w, lower(k));
        if (dist < best_distance && dist * 2 < w.size()) {
            best = k;
            best_distance = dist;
        }
    }
    return best;
}

// ---- readers ----------------------------------------------------------------------

std::optional<std::string> read_scalar(diagnostics& diag, const YAML::Node& node,
                                       std::string_view path, std::string_view expected) {
    if (node.IsNull()) {
        diag.error(node, subject(path) + "has no value", expected);
        return std::nullopt;
    }
    if (!node.IsScalar()) {
        diag.error(node, subject(path) + "got " + describe(node), expected);
        return std::nullopt;
    }
    return node.Scalar();
}

std::optional<std::string> read_string(diagnostics& diag, const YAML::Node& node,
                                       std::string_view path, std::string_view expected) {
    auto s = read_scalar(diag, node, path, expected);
    if (s && s->empty()) {
        diag.error(node, subject(path) + "is an empty string", expected);
        return std::nullopt;
    }
    return s;
}

namespace {
// Booleans and numbers are plain scalars; a quoted one is a string, which in a
// strict config is a type error rather than something to guess about.
std::optional<std::string> read_plain(diagnostics& diag, const YAML::Node& node,
                                      std::string_view path, std::string_view expected) {
    auto s = read_scalar(diag, node, path, expected);
    if (s && node.Tag() == "!") {
        diag.error(node, subject(path) + "got " + describe(node), expected);
        return std::nullopt;
    }
    return s;
}
} // namespace

std::optional<bool> read_bool(diagnostics& diag, const YAML::Node& node, std::string_view path) {
    const auto s = read_plain(diag, node, path, bool_expected);
    if (!s) {
        return std::nullopt;
    }
    const auto v = parse_bool(*s);
    if (!v) {
        diag.error(node, subject(path) + describe(node) + " is not a boolean", bool_expected);
    }
    return v;
}

std::optional<std::uint64_t> read_uint(diagnostics& diag, const YAML::Node& node,
                                       std::string_view path, const uint_spec& spec) {
    const std::string expected = spec.expected();
    const auto s = read_plain(diag, node, path, expected);
    if (!s) {
        return std::nullopt;
    }
    auto v = spec.parse(*s);
    if (!v.ok()) {
        diag.error(node, subject(path) + describe(node) + ' ' + v.message(), expected);
        return std::nullopt;
    }
    return *v;
}

std::optional<std::chrono::nanoseconds> read_duration(diagnostics& diag, const YAML::Node& node,
                                                      std::string_view path,
                                                      const duration_spec& spec) {
    const std::string expected = spec.expected();
    const auto s = read_scalar(diag, node, path, expected);
    if (!s) {
        return std::nullopt;
    }
    auto v = spec.parse(*s);
    if (!v.ok()) {
        diag.error(node, subject(path) + describe(node) + ' ' + v.message(), expected);
        return std::nullopt;
    }
    return *v;
}

std::optional<net::ipv4_addr> read_ipv4_addr(diagnostics& diag, const YAML::Node& node,
                                             std::string_view path) {
    constexpr std::string_view expected = "an IPv4 address a.b.c.d";
    const auto s = read_scalar(diag, node, path, expected);
    if (!s) {
        return std::nullopt;
    }
    auto a = net::ipv4_addr::parse(*s);
    if (!a) {
        diag.error(node, subject(path) + describe(node) + " is not an IPv4 address", expected);
    }
    return a;
}

std::optional<net::ipv4_prefix> read_ipv4_prefix(diagnostics& diag, const YAML::Node& node,
                                                 std::string_view path, unsigned min_len,
                                                 unsigned max_len) {
    const std::string expected = "an IPv4 address with a prefix length a.b.c.d/" +
                                 std::to_string(min_len) + ".." + std::to_string(max_len);
    const auto s = read_scalar(diag, node, path, expected);
    if (!s) {
        return std::nullopt;
    }
    auto p = net::ipv4_prefix::parse(*s);
    if (!p) {
        const char* why =
            s->find('/') == std::string::npos ? " has no prefix length" : " is not an IPv4 prefix";
        diag.error(node, subject(path) + describe(node) + why, expected);
        return std::nullopt;
    }
    if (p->len < min_len || p->len > max_len) {
        diag.error(node, subject(path) + describe(node) + " has an out-of-range prefix length",
                   expected);
        return std::nullopt;
    }
    return p;
}

// ---- schema walking -----------------------------------------------------------------

namespace detail {

std::string map_expected(const std::vector<std::string_view>& keys) {
    return "a map with keys " + join_keys(keys);
}

bool walk_map(diagnostics& diag, const YAML::Node& map, const std::string& path,
              const std::vector<key_info>& keys,
              const std::function<void(std::size_t, const YAML::Node&)>& visit) {
    std::vector<std::string_view> names;
    names.reserve(keys.size());
    for (const auto& k : keys) {
        names.push_back(k.key);
    }
    if (!map.IsMap()) {
        diag.error(map, subject(path) + "got " + describe(map), map_expected(names));
        return false;
    }
    // yaml-cpp keeps every pair of a map, duplicates included, in order: the
    // first occurrence wins and the others are reported.
    std::vector<std::optional<source_location>> seen(keys.size());
    for (auto it = map.begin(); it != map.end(); ++it) {
        const YAML::Node key = it->first;
        const YAML::Node value = it->second;
        if (!key.IsScalar()) {
            diag.error(key, subject(path) + "a key is " + describe(key),
                       "a plain key, one of " + join_keys(names));
            continue;
        }
        const std::string& name = key.Scalar();
        const auto found = std::find(names.begin(), names.end(), name);
        if (found == names.end()) {
            std::string what = subject(path) + "unknown key " + quote(name);
            if (auto guess = closest_key(name, names)) {
                what += " (did you mean '" + std::string(*guess) + "'?)";
            }
            diag.error(key, what, "one of " + join_keys(names));
            continue;
        }
        const auto i = static_cast<std::size_t>(found - names.begin());
        if (seen[i]) {
            diag.error(key,
                       subject(path) + "duplicate key " + quote(name) + " (first at line " +
                           std::to_string(seen[i]->line) + ", column " +
                           std::to_string(seen[i]->column) + ")",
                       "each key at most once");
            continue;
        }
        seen[i] = diag.where(key);
        if (value.IsNull() && !keys[i].nullable) {
            // A null value's mark points past the key, often at the next line;
            // the key's own position is what the operator needs.
            diag.error(key, subject(child_path(path, name)) + "has no value", keys[i].expected);
            continue;
        }
        visit(i, value);
    }
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (keys[i].required && !seen[i]) {
            diag.error(map,
                       subject(path) + "missing required key '" + std::string(keys[i].key) + "'",
                       keys[i].expected);
        }
    }
    return true;
}

} // namespace detail

} // namespace vipgate::config
