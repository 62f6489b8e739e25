#include "console/engine.hpp"

#include <algorithm>

namespace vipgate::console {

std::string command::usage() const {
    std::string out;
    for (const auto& t : pattern) {
        if (!out.empty()) {
            out += ' ';
        }
        if (t.k == token::kind::argument) {
            out += '<' + t.name + '>';
        } else {
            for (std::size_t i = 0; i < t.words.size(); ++i) {
                out += (i ? "|" : "") + t.words[i];
            }
        }
    }
    if (json_ok) {
        out += " [json]";
    }
    return out;
}

static std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= s.size(); ++i) {
        if (i == s.size() || s[i] == sep) {
            if (i > start) {
                out.emplace_back(s.substr(start, i - start));
            }
            start = i + 1;
        }
    }
    return out;
}

void engine::add(std::string_view pattern, std::string help, handler fn,
                 std::map<std::string, std::string> arg_help) {
    command c;
    c.help = std::move(help);
    c.fn = std::move(fn);
    for (const auto& w : split(pattern, ' ')) {
        if (w == "[json]") {
            c.json_ok = true;
            continue;
        }
        token t;
        if (w.size() > 2 && w.front() == '<' && w.back() == '>') {
            t.k = token::kind::argument;
            t.name = w.substr(1, w.size() - 2);
            auto it = arg_help.find(t.name);
            t.help = it == arg_help.end() ? t.name : it->second;
        } else {
            t.words = split(w, '|');
        }
        c.pattern.push_back(std::move(t));
    }
    commands_.push_back(std::move(c));
}

std::vector<std::string> engine::tokenize(std::string_view line, std::string* err) {
    std::vector<std::string> out;
    std::string cur;
    bool in_word = false;
    char quote = 0;
    for (char c : line) {
        if (quote) {
            if (c == quote) {
                quote = 0;
            } else {
                cur += c;
            }
            continue;
        }
        if (c == '"' || c == '\'') {
            quote = c;
            in_word = true;
            continue;
        }
        if (c == '#') {
            break; // comment to end of line
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            if (in_word) {
                out.push_back(std::move(cur));
                cur.clear();
                in_word = false;
            }
            continue;
        }
        cur += c;
        in_word = true;
    }
    if (quote && err) {
        *err = "unterminated quote";
    }
    if (in_word) {
        out.push_back(std::move(cur));
    }
    return out;
}

reply engine::execute(std::string_view line) const {
    std::string err;
    auto words = tokenize(line, &err);
    if (!err.empty()) {
        return reply::failure("error: " + err + "\n");
    }
    return execute(words);
}

reply engine::execute(const std::vector<std::string>& words_in) const {
    if (words_in.empty()) {
        return reply::success("");
    }
    const command* best = nullptr;
    std::size_t best_depth = 0;
    for (const auto& c : commands_) {
        std::vector<std::string> words = words_in;
        bool json = false;
        if (c.json_ok && words.size() == c.pattern.size() + 1 && words.back() == "json") {
            json = true;
            words.pop_back();
        }
        std::size_t depth = 0;
        bool lit_ok = true;
        for (; depth < c.pattern.size() && depth < words.size(); ++depth) {
            const token& t = c.pattern[depth];
            if (t.k == token::kind::literal &&
                std::find(t.words.begin(), t.words.end(), words[depth]) == t.words.end()) {
                lit_ok = false;
                break;
            }
        }
        if (lit_ok && depth == c.pattern.size() && words.size() == c.pattern.size()) {
            args a;
            a.words = words_in;
            a.json = json;
            for (std::size_t i = 0; i < c.pattern.size(); ++i) {
                if (c.pattern[i].k == token::kind::argument) {
                    a.values[c.pattern[i].name] = words[i];
                }
            }
            try {
                return c.fn(a);
            } catch (const std::exception& e) {
                return reply::failure(std::string("error: ") + e.what() + "\n");
            }
        }
        if (depth > best_depth) {
            best_depth = depth;
            best = &c;
        }
    }
    std::string cmd;
    for (const auto& w : words_in) {
        cmd += (cmd.empty() ? "" : " ") + w;
    }
    std::string msg = "error: unknown command '" + cmd + "'";
    if (best != nullptr && best_depth > 0) {
        msg += "; did you mean:";
        for (const auto& c : commands_) {
            bool prefix = c.pattern.size() >= best_depth;
            for (std::size_t i = 0; prefix && i < best_depth; ++i) {
                if (c.pattern[i].k == token::kind::literal &&
                    std::find(c.pattern[i].words.begin(), c.pattern[i].words.end(), words_in[i]) ==
                        c.pattern[i].words.end()) {
                    prefix = false;
                }
            }
            if (prefix) {
                msg += "\n  " + c.usage();
            }
        }
    } else {
        msg += " (type 'help' for the list)";
    }
    return reply::failure(msg + "\n");
}

std::string engine::help_text() const {
    std::size_t w = 0;
    for (const auto& c : commands_) {
        w = std::max(w, c.usage().size());
    }
    std::string out;
    for (const auto& c : commands_) {
        std::string u = c.usage();
        out += u;
        out.append(w - u.size() + 2, ' ');
        out += c.help + "\n";
    }
    return out;
}

} // namespace vipgate::console
