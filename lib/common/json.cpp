#include "common/json.hpp"

#include <algorithm>

namespace vipgate {

std::string dump_json(const json& j, int indent) {
    return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

std::string to_text(const json& j) {
    if (j.is_string()) {
        return j.get<std::string>();
    }
    if (j.is_null()) {
        return "-";
    }
    return dump_json(j);
}

const json* find(const json& obj, std::string_view key) {
    if (!obj.is_object()) {
        return nullptr;
    }
    auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
}

std::string render_table(const json& rows, const std::vector<std::string>& columns) {
    if (!rows.is_array() || rows.empty()) {
        return "(none)\n";
    }
    std::vector<std::string> cols = columns;
    if (cols.empty() && rows[0].is_object()) {
        for (const auto& [k, v] : rows[0].items()) {
            cols.push_back(k);
        }
    }
    std::vector<std::size_t> width(cols.size());
    std::vector<std::vector<std::string>> cells;
    for (std::size_t c = 0; c < cols.size(); ++c) {
        width[c] = cols[c].size();
    }
    for (const auto& r : rows) {
        std::vector<std::string> line;
        for (std::size_t c = 0; c < cols.size(); ++c) {
            const json* v = find(r, cols[c]);
            line.push_back(v ? to_text(*v) : "-");
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
        return to_text(obj) + "\n";
    }
    std::size_t w = 0;
    for (const auto& [k, v] : obj.items()) {
        w = std::max(w, k.size());
    }
    std::string out;
    for (const auto& [k, v] : obj.items()) {
        out += k;
        out += ':';
        out.append(w - k.size() + 1, ' ');
        out += v.is_object() || v.is_array() ? dump_json(v) : to_text(v);
        out += '\n';
    }
    return out;
}

} // namespace vipgate
