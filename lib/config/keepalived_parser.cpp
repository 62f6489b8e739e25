// keepalived.conf grammar (keepalived lib/parser.c: read_line, decomment,
// alloc_strvec, process_stream): lines to tokens, includes spliced in place,
// then tokens to a tree of statements. Keyword meanings live in
// keepalived.cpp.

#include <glob.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <system_error>
#include <utility>

#include "config/keepalived.hpp"
#include "config/yaml_util.hpp"

namespace vipgate::config::keepalived {

namespace {

enum class kind { word, open, close, eol };

struct lexeme {
    kind k = kind::word;
    std::string text;
    source_location at;
    bool quoted = false; // the word had a quoted part
};

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\r';
}

bool is_ident_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool is_ident(char c) {
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

// The escapes keepalived's alloc_strvec_quoted_escaped knows that matter in a
// configuration; any other escaped character stands for itself (\" \' \\ \#).
char unescape(char c) {
    switch (c) {
    case 'n':
        return '\n';
    case 't':
        return '\t';
    case 'r':
        return '\r';
    default:
        return c;
    }
}

std::string directory_of(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) {
        return ".";
    }
    return slash == 0 ? "/" : path.substr(0, slash);
}

// A file name in a message: in full (quote() shortens to 40 characters).
std::string path_text(std::string_view path) {
    std::string s = "'";
    for (char c : path) {
        s += (c == '\n' || c == '\r') ? '?' : c;
    }
    return s + "'";
}

bool has_wildcard(std::string_view pattern) {
    return pattern.find_first_of("*?[{") != std::string_view::npos;
}

constexpr std::string_view include_keywords[] = {"include",  "includer", "includem",
                                                 "includew", "includeb", "includea"};

bool is_include(std::string_view word) {
    for (auto k : include_keywords) {
        if (word == k) {
            return true;
        }
    }
    return false;
}

struct glob_guard {
    glob_t g{};
    ~glob_guard() { globfree(&g); }
};

class lexer {
  public:
    lexer(diagnostics& diag, document& doc) : diag_(diag), doc_(doc) {}

    // Appends the tokens of `path` (and of what it includes) to out().
    // `from` is the include statement, null for the top file.
    void read_file(const std::string& path, const source_location* from, int depth);

    std::vector<lexeme>& out() { return out_; }

  private:
    void lex_line(const std::string& file, int line_no, std::string_view line);
    bool special_line(const source_location& at, std::string_view line);
    void include(const std::vector<lexeme>& toks, int depth);
    source_location origin(const source_location* from, const std::string& path) const {
        return from != nullptr ? *from : source_location{path, 0, 0};
    }

    diagnostics& diag_;
    document& doc_;
    std::vector<lexeme> out_;
    std::vector<std::string> reading_; // real paths of the files being read, for cycles
    int depth_ = 0;
};

void lexer::read_file(const std::string& path, const source_location* from, int depth) {
    const source_location at = origin(from, path);
    if (depth > max_include_depth) {
        diag_.error(at,
                    "include of " + path_text(path) + " is nested more than " +
                        std::to_string(max_include_depth) + " levels deep",
                    "at most " + std::to_string(max_include_depth) + " levels of include");
        return;
    }
    if (doc_.files.size() >= max_files) {
        diag_.error(at, "more than " + std::to_string(max_files) + " files included",
                    "at most " + std::to_string(max_files) + " configuration files");
        return;
    }
    std::unique_ptr<char, decltype(&std::free)> real(realpath(path.c_str(), nullptr), &std::free);
    if (!real) {
        const std::string why = std::generic_category().message(errno);
        diag_.error(at,
                    (from != nullptr ? "include " + path_text(path) + ": " : std::string()) +
                        "cannot open: " + why,
                    "a readable keepalived.conf");
        return;
    }
    for (const auto& r : reading_) {
        if (r == real.get()) {
            diag_.error(at, "include cycle: " + path_text(path) + " is already being read",
                        "includes that do not include themselves");
            return;
        }
    }
    struct stat st {};
    if (stat(real.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
        diag_.error(at, path_text(path) + " is not a regular file", "a readable keepalived.conf");
        return;
    }
    if (static_cast<std::uintmax_t>(st.st_size) > max_file_size) {
        diag_.error(at, path_text(path) + " is larger than 16 MiB", "a keepalived.conf");
        return;
    }
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
        diag_.error(
            at, "cannot open " + path_text(path) + ": " + std::generic_category().message(errno),
            "a readable keepalived.conf");
        return;
    }
    std::string text;
    char buf[65536];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0 && text.size() <= max_file_size) {
        text.append(buf, n);
    }
    const int read_errno = std::ferror(f) ? errno : 0;
    std::fclose(f);
    if (read_errno != 0) {
        diag_.error(at,
                    "cannot read " + path_text(path) + ": " +
                        std::generic_category().message(read_errno),
                    "a readable keepalived.conf");
        return;
    }
    if (text.size() > max_file_size) {
        diag_.error(at, path_text(path) + " is larger than 16 MiB", "a keepalived.conf");
        return;
    }
    if (text.find('\0') != std::string::npos) {
        diag_.error(source_location{path, 0, 0}, "contains a NUL byte",
                    "a text file in keepalived.conf syntax");
        return;
    }

    doc_.files.push_back(path);
    reading_.emplace_back(real.get());
    const int saved_depth = depth_;
    depth_ = depth;
    std::size_t start = 0;
    int line_no = 0;
    while (start <= text.size()) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        ++line_no;
        lex_line(path, line_no, std::string_view(text).substr(start, end - start));
        start = end + 1;
    }
    depth_ = saved_depth;
    reading_.pop_back();
}

// keepalived's line-level extras that change what the file means; the
// importer refuses them rather than guess (read_line: '@', check_definition,
// add_seq).
bool lexer::special_line(const source_location& at, std::string_view line) {
    if (line.front() == '@') {
        diag_.error(at,
                    "'@' conditional lines (config_id) are not supported: resolve them for this "
                    "node before importing",
                    "plain keepalived.conf lines");
        return true;
    }
    if (line.substr(0, 4) == "~SEQ") {
        diag_.error(at, "~SEQ is not supported: expand the sequence before importing",
                    "plain keepalived.conf lines");
        return true;
    }
    if (line.front() == '$' && line.size() > 1 && is_ident_start(line[1])) {
        std::size_t i = 2;
        while (i < line.size() && is_ident(line[i])) {
            ++i;
        }
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) {
            ++i;
        }
        if (i < line.size() && line[i] == '=') {
            diag_.error(at,
                        "parameter definitions ($NAME=...) are not supported: substitute them "
                        "before importing",
                        "plain keepalived.conf lines");
            return true;
        }
    }
    return false;
}

void lexer::lex_line(const std::string& file, int line_no, std::string_view line) {
    auto loc = [&](std::size_t index) {
        return source_location{file, line_no, static_cast<int>(index) + 1};
    };
    std::size_t first = 0;
    while (first < line.size() && is_space(line[first])) {
        ++first;
    }
    if (first < line.size() && special_line(loc(first), line.substr(first))) {
        return;
    }

    std::vector<lexeme> toks;
    std::string cur;
    bool in_word = false;
    bool quoted = false;
    std::size_t word_start = 0;
    auto flush = [&] {
        if (in_word) {
            toks.push_back({kind::word, std::move(cur), loc(word_start), quoted});
            cur.clear();
            in_word = false;
            quoted = false;
        }
    };
    std::size_t i = 0;
    while (i < line.size()) {
        const char c = line[i];
        if (is_space(c)) {
            flush();
            ++i;
            continue;
        }
        if (c == '#' || c == '!') {
            break; // a comment, to the end of the line
        }
        if (c == '{' || c == '}') {
            flush();
            toks.push_back({c == '{' ? kind::open : kind::close, std::string(1, c), loc(i)});
            ++i;
            continue;
        }
        if (!in_word) {
            in_word = true;
            word_start = i;
        }
        if (c == '"' || c == '\'') {
            std::size_t j = i + 1;
            bool closed = false;
            while (j < line.size()) {
                if (line[j] == '\\' && j + 1 < line.size()) {
                    cur += unescape(line[j + 1]);
                    j += 2;
                    continue;
                }
                if (line[j] == c) {
                    closed = true;
                    break;
                }
                cur += line[j++];
            }
            if (!closed) {
                diag_.error(loc(i), std::string("unterminated quote ") + c,
                            std::string("a closing ") + c + " on the same line");
                return;
            }
            quoted = true;
            i = j + 1;
            continue;
        }
        if (c == '\\') {
            if (i + 1 >= line.size()) {
                diag_.error(loc(i),
                            "a '\\' at the end of a line (line continuation) is not supported",
                            "each statement on one line");
                return;
            }
            cur += unescape(line[i + 1]);
            i += 2;
            continue;
        }
        cur += c;
        ++i;
    }
    flush();
    if (toks.empty()) {
        return;
    }
    if (toks.front().k == kind::word && !toks.front().quoted && is_include(toks.front().text)) {
        include(toks, depth_);
        return;
    }
    for (auto& t : toks) {
        out_.push_back(std::move(t));
    }
    out_.push_back({kind::eol, {}, loc(line.size()), false});
}

void lexer::include(const std::vector<lexeme>& toks, int depth) {
    const lexeme& kw = toks.front();
    const bool strict = kw.text != "include";
    if (toks.size() != 2 || toks[1].k != kind::word || toks[1].text.empty()) {
        diag_.error(kw.at, kw.text + " takes one file name or pattern",
                    kw.text + " PATTERN, on a line of its own");
        return;
    }
    const lexeme& arg = toks[1];
    // keepalived changes into the including file's directory before reading
    // it, so relative patterns are relative to that file.
    std::string pattern = arg.text;
    if (pattern.front() != '/') {
        pattern = directory_of(kw.at.file) + "/" + pattern;
    }
    glob_guard g;
    int flags = GLOB_MARK;
#ifdef GLOB_BRACE
    flags |= GLOB_BRACE;
#endif
    const int rc = glob(pattern.c_str(), flags, nullptr, &g.g);
    std::vector<std::string> files;
    if (rc == 0) {
        for (std::size_t i = 0; i < g.g.gl_pathc; ++i) {
            std::string p = g.g.gl_pathv[i];
            if (!p.empty() && p.back() == '/') {
                diag_.warning(arg.at, kw.text + ": " + path_text(p) +
                                          " is a directory; skipped, as keepalived does");
                continue;
            }
            files.push_back(std::move(p));
        }
    } else if (rc != GLOB_NOMATCH) {
        diag_.error(arg.at, kw.text + " " + path_text(arg.text) + ": cannot expand the pattern",
                    "a readable file or pattern");
        return;
    }
    if (files.empty()) {
        if (strict || !has_wildcard(arg.text)) {
            diag_.error(arg.at,
                        kw.text + " " + path_text(arg.text) + ": no such file (looked for " +
                            path_text(pattern) + ")",
                        "an existing file, relative to the including file's directory");
        } else {
            diag_.warning(arg.at, kw.text + " " + path_text(arg.text) +
                                      " matches no file; nothing included, as in keepalived");
        }
        return;
    }
    for (const auto& f : files) {
        read_file(f, &arg.at, depth + 1);
    }
}

// ---- tokens to statements ----------------------------------------------------------

class tree_builder {
  public:
    tree_builder(diagnostics& diag, const std::vector<lexeme>& toks) : diag_(diag), toks_(toks) {}

    std::vector<statement> parse_top() { return parse_block(0, nullptr); }

  private:
    bool at_end() const { return pos_ >= toks_.size(); }
    void skip_eols() {
        while (!at_end() && toks_[pos_].k == kind::eol) {
            ++pos_;
        }
    }
    // Skips a block whose '{' was just consumed, without recursion.
    void skip_block() {
        int open = 1;
        while (!at_end() && open > 0) {
            if (toks_[pos_].k == kind::open) {
                ++open;
            } else if (toks_[pos_].k == kind::close) {
                --open;
            }
            ++pos_;
        }
    }
    std::vector<statement> parse_block(int depth, const source_location* opened_at);

    diagnostics& diag_;
    const std::vector<lexeme>& toks_;
    std::size_t pos_ = 0;
};

std::vector<statement> tree_builder::parse_block(int depth, const source_location* opened_at) {
    std::vector<statement> out;
    for (;;) {
        skip_eols();
        if (at_end()) {
            if (opened_at != nullptr) {
                diag_.error(*opened_at, "unbalanced braces: this '{' is never closed",
                            "a matching '}'");
            }
            return out;
        }
        const lexeme& t = toks_[pos_];
        if (t.k == kind::close) {
            ++pos_;
            if (opened_at != nullptr) {
                return out;
            }
            diag_.error(t.at, "unbalanced braces: '}' without an open block",
                        "'{' and '}' in matching pairs");
            continue;
        }
        if (t.k == kind::open) {
            ++pos_;
            diag_.error(t.at, "unexpected '{' (a block must follow a keyword)",
                        "'KEYWORD [ARGS] {'");
            skip_block();
            continue;
        }
        statement st;
        st.keyword = {t.text, t.at};
        ++pos_;
        while (!at_end() && toks_[pos_].k == kind::word) {
            st.args.push_back({toks_[pos_].text, toks_[pos_].at});
            ++pos_;
        }
        // The '{' may sit on a later line (keepalived's need_bob).
        std::size_t next = pos_;
        while (next < toks_.size() && toks_[next].k == kind::eol) {
            ++next;
        }
        if (next < toks_.size() && toks_[next].k == kind::open) {
            pos_ = next + 1;
            st.has_block = true;
            st.block_at = toks_[next].at;
            if (depth + 1 > max_block_depth) {
                diag_.error(st.block_at,
                            "blocks nested more than " + std::to_string(max_block_depth) +
                                " levels deep",
                            "at most " + std::to_string(max_block_depth) + " levels of blocks");
                skip_block();
            } else {
                st.block = parse_block(depth + 1, &st.block_at);
            }
        }
        out.push_back(std::move(st));
    }
}

} // namespace

result<document> parse_file(const std::string& path) {
    diagnostics diag(path, diagnostics::ordering::as_reported);
    document doc;
    try {
        lexer lex(diag, doc);
        lex.read_file(path, nullptr, 0);
        if (diag.ok()) {
            tree_builder tree(diag, lex.out());
            doc.statements = tree.parse_top();
        }
    } catch (const std::exception& e) {
        diag.error(source_location{path, 0, 0}, std::string("cannot load: ") + e.what(),
                   "a keepalived.conf within memory limits");
    }
    if (!diag.ok()) {
        return make_error(diag.message());
    }
    doc.warnings = diag.warnings();
    return doc;
}

} // namespace vipgate::config::keepalived
