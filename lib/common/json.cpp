#include "common/json.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace vipgate {

std::int64_t json::as_int() const {
    if (is_uint()) {
        return static_cast<std::int64_t>(std::get<std::uint64_t>(v_));
    }
    if (is_double()) {
        return static_cast<std::int64_t>(std::get<double>(v_));
    }
    return std::get<std::int64_t>(v_);
}

std::uint64_t json::as_uint() const {
    if (is_int()) {
        return static_cast<std::uint64_t>(std::get<std::int64_t>(v_));
    }
    if (is_double()) {
        return static_cast<std::uint64_t>(std::get<double>(v_));
    }
    return std::get<std::uint64_t>(v_);
}

double json::as_double() const {
    if (is_int()) {
        return static_cast<double>(std::get<std::int64_t>(v_));
    }
    if (is_uint()) {
        return static_cast<double>(std::get<std::uint64_t>(v_));
    }
    return std::get<double>(v_);
}

json& json::set(std::string key, json value) {
    if (is_null()) {
        v_ = object_t{};
    }
    auto& o = std::get<object_t>(v_);
    for (auto& kv : o) {
        if (kv.first == key) {
            kv.second = std::move(value);
            return kv.second;
        }
    }
    o.emplace_back(std::move(key), std::move(value));
    return o.back().second;
}

const json* json::find(std::string_view key) const {
    if (!is_object()) {
        return nullptr;
    }
    for (const auto& kv : std::get<object_t>(v_)) {
        if (kv.first == key) {
            return &kv.second;
        }
    }
    return nullptr;
}

const json& json::operator[](std::string_view key) const {
    const json* j = find(key);
    if (j == nullptr) {
        throw std::out_of_range("json: no key " + std::string(key));
    }
    return *j;
}

json& json::push(json value) {
    if (is_null()) {
        v_ = array_t{};
    }
    auto& a = std::get<array_t>(v_);
    a.push_back(std::move(value));
    return a.back();
}

std::size_t json::size() const {
    if (is_array()) {
        return std::get<array_t>(v_).size();
    }
    if (is_object()) {
        return std::get<object_t>(v_).size();
    }
    return 0;
}

std::string json_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    for (char c : s) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
                out += buf;
            } else {
                out += c;
            }
        }
    }
    return out;
}

static void newline(std::string& out, int indent, int depth) {
    if (indent < 0) {
        return;
    }
    out += '\n';
    out.append(static_cast<std::size_t>(indent * depth), ' ');
}

void json::dump_to(std::string& out, int indent, int depth) const {
    switch (v_.index()) {
    case 0:
        out += "null";
        break;
    case 1:
        out += std::get<bool>(v_) ? "true" : "false";
        break;
    case 2:
        out += std::to_string(std::get<std::int64_t>(v_));
        break;
    case 3:
        out += std::to_string(std::get<std::uint64_t>(v_));
        break;
    case 4: {
        double d = std::get<double>(v_);
        if (!std::isfinite(d)) {
            out += "null";
        } else {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.6g", d);
            out += buf;
        }
        break;
    }
    case 5:
        out += '"';
        out += json_escape(std::get<std::string>(v_));
        out += '"';
        break;
    case 6: {
        const auto& a = std::get<array_t>(v_);
        out += '[';
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (i) {
                out += ',';
            }
            newline(out, indent, depth + 1);
            a[i].dump_to(out, indent, depth + 1);
        }
        if (!a.empty()) {
            newline(out, indent, depth);
        }
        out += ']';
        break;
    }
    case 7: {
        const auto& o = std::get<object_t>(v_);
        out += '{';
        for (std::size_t i = 0; i < o.size(); ++i) {
            if (i) {
                out += ',';
            }
            newline(out, indent, depth + 1);
            out += '"';
            out += json_escape(o[i].first);
            out += indent < 0 ? "\":" : "\": ";
            o[i].second.dump_to(out, indent, depth + 1);
        }
        if (!o.empty()) {
            newline(out, indent, depth);
        }
        out += '}';
        break;
    }
    }
}

std::string json::dump(int indent) const {
    std::string out;
    dump_to(out, indent, 0);
    return out;
}

std::string json::to_text() const {
    if (is_string()) {
        return as_string();
    }
    if (is_null()) {
        return "-";
    }
    return dump();
}

namespace {

struct parser {
    std::string_view s;
    std::size_t i = 0;
    std::string err;

    void ws() {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) {
            ++i;
        }
    }
    bool fail(const char* what) {
        if (err.empty()) {
            err = std::string(what) + " at offset " + std::to_string(i);
        }
        return false;
    }
    bool lit(std::string_view w) {
        if (s.substr(i, w.size()) != w) {
            return fail("bad literal");
        }
        i += w.size();
        return true;
    }
    bool str(std::string& out) {
        if (i >= s.size() || s[i] != '"') {
            return fail("expected string");
        }
        ++i;
        while (i < s.size() && s[i] != '"') {
            char c = s[i++];
            if (c == '\\') {
                if (i >= s.size()) {
                    return fail("bad escape");
                }
                char e = s[i++];
                switch (e) {
                case 'n':
                    out += '\n';
                    break;
                case 't':
                    out += '\t';
                    break;
                case 'r':
                    out += '\r';
                    break;
                case 'b':
                    out += '\b';
                    break;
                case 'f':
                    out += '\f';
                    break;
                case 'u': {
                    if (i + 4 > s.size()) {
                        return fail("bad \\u escape");
                    }
                    unsigned v = 0;
                    for (int k = 0; k < 4; ++k) {
                        char h = s[i++];
                        v <<= 4;
                        if (h >= '0' && h <= '9') {
                            v |= static_cast<unsigned>(h - '0');
                        } else if (h >= 'a' && h <= 'f') {
                            v |= static_cast<unsigned>(h - 'a' + 10);
                        } else if (h >= 'A' && h <= 'F') {
                            v |= static_cast<unsigned>(h - 'A' + 10);
                        } else {
                            return fail("bad \\u escape");
                        }
                    }
                    if (v < 0x80) {
                        out += static_cast<char>(v);
                    } else if (v < 0x800) {
                        out += static_cast<char>(0xc0 | (v >> 6));
                        out += static_cast<char>(0x80 | (v & 0x3f));
                    } else {
                        out += static_cast<char>(0xe0 | (v >> 12));
                        out += static_cast<char>(0x80 | ((v >> 6) & 0x3f));
                        out += static_cast<char>(0x80 | (v & 0x3f));
                    }
                    break;
                }
                default:
                    out += e;
                }
            } else if (static_cast<unsigned char>(c) < 0x20) {
                return fail("control character in string");
            } else {
                out += c;
            }
        }
        if (i >= s.size()) {
            return fail("unterminated string");
        }
        ++i;
        return true;
    }
    bool value(json& out, int depth) {
        if (depth > 64) {
            return fail("nesting too deep");
        }
        ws();
        if (i >= s.size()) {
            return fail("unexpected end");
        }
        char c = s[i];
        if (c == '{') {
            ++i;
            out = json::object();
            ws();
            if (i < s.size() && s[i] == '}') {
                ++i;
                return true;
            }
            for (;;) {
                ws();
                std::string k;
                if (!str(k)) {
                    return false;
                }
                ws();
                if (i >= s.size() || s[i] != ':') {
                    return fail("expected ':'");
                }
                ++i;
                json v;
                if (!value(v, depth + 1)) {
                    return false;
                }
                out.set(std::move(k), std::move(v));
                ws();
                if (i < s.size() && s[i] == ',') {
                    ++i;
                    continue;
                }
                if (i < s.size() && s[i] == '}') {
                    ++i;
                    return true;
                }
                return fail("expected ',' or '}'");
            }
        }
        if (c == '[') {
            ++i;
            out = json::array();
            ws();
            if (i < s.size() && s[i] == ']') {
                ++i;
                return true;
            }
            for (;;) {
                json v;
                if (!value(v, depth + 1)) {
                    return false;
                }
                out.push(std::move(v));
                ws();
                if (i < s.size() && s[i] == ',') {
                    ++i;
                    continue;
                }
                if (i < s.size() && s[i] == ']') {
                    ++i;
                    return true;
                }
                return fail("expected ',' or ']'");
            }
        }
        if (c == '"') {
            std::string v;
            if (!str(v)) {
                return false;
            }
            out = json(std::move(v));
            return true;
        }
        if (c == 't') {
            out = json(true);
            return lit("true");
        }
        if (c == 'f') {
            out = json(false);
            return lit("false");
        }
        if (c == 'n') {
            out = json(nullptr);
            return lit("null");
        }
        std::size_t start = i;
        if (i < s.size() && s[i] == '-') {
            ++i;
        }
        bool is_float = false;
        while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == 'e' ||
                                s[i] == 'E' || s[i] == '+' || s[i] == '-')) {
            if (s[i] == '.' || s[i] == 'e' || s[i] == 'E') {
                is_float = true;
            }
            ++i;
        }
        if (start == i) {
            return fail("unexpected character");
        }
        std::string num(s.substr(start, i - start));
        try {
            if (is_float) {
                out = json(std::stod(num));
            } else if (num[0] == '-') {
                out = json(static_cast<long long>(std::stoll(num)));
            } else {
                out = json(static_cast<unsigned long long>(std::stoull(num)));
            }
        } catch (...) {
            return fail("bad number");
        }
        return true;
    }
};

} // namespace

bool json::parse(std::string_view text, json& out, std::string* err) {
    parser p{text};
    json v;
    bool ok = p.value(v, 0);
    if (ok) {
        p.ws();
        if (p.i != text.size()) {
            ok = p.fail("trailing characters");
        }
    }
    if (!ok) {
        if (err) {
            *err = p.err;
        }
        return false;
    }
    out = std::move(v);
    return true;
}

std::string render_table(const json& rows, const std::vector<std::string>& columns) {
    if (!rows.is_array() || rows.size() == 0) {
        return "(none)\n";
    }
    std::vector<std::string> cols = columns;
    if (cols.empty() && rows.as_array()[0].is_object()) {
        for (const auto& kv : rows.as_array()[0].as_object()) {
            cols.push_back(kv.first);
        }
    }
    std::vector<std::size_t> width(cols.size());
    std::vector<std::vector<std::string>> cells;
    for (std::size_t c = 0; c < cols.size(); ++c) {
        width[c] = cols[c].size();
    }
    for (const auto& r : rows.as_array()) {
        std::vector<std::string> line;
        for (std::size_t c = 0; c < cols.size(); ++c) {
            const json* v = r.find(cols[c]);
            line.push_back(v ? v->to_text() : "-");
            width[c] = std::max(width[c], line.back().size());
        }
        cells.push_back(std::move(line));
    }
    std::string out;
    auto emit = [&](const std::vector<std::string>& line) {
        for (std::size_t c = 0; c < line.size(); ++c) {
            out += line[c];
            if (c + 1 < line.size()) {
                out.append(width[c] - line[c].size() + 2, ' ');
            }
        }
        out += '\n';
    };
    emit(cols);
    for (const auto& l : cells) {
        emit(l);
    }
    return out;
}

std::string render_kv(const json& obj) {
    if (!obj.is_object()) {
        return obj.to_text() + "\n";
    }
    std::size_t w = 0;
    for (const auto& kv : obj.as_object()) {
        w = std::max(w, kv.first.size());
    }
    std::string out;
    for (const auto& kv : obj.as_object()) {
        out += kv.first;
        out += ':';
        out.append(w - kv.first.size() + 1, ' ');
        out +=
            kv.second.is_object() || kv.second.is_array() ? kv.second.dump() : kv.second.to_text();
        out += '\n';
    }
    return out;
}

} // namespace vipgate
