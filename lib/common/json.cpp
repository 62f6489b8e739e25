#include "common/json.hpp"

#include <algorithm>

#include "common/text_table.hpp"

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
    text_row cols = columns;
    if (cols.empty() && rows[0].is_object()) {
        for (const auto& [k, v] : rows[0].items()) {
            cols.push_back(k);
        }
    }
    std::vector<text_row> cells;
    for (const auto& r : rows) {
        text_row line;
        for (const auto& c : cols) {
            const json* v = find(r, c);
            line.push_back(v ? to_text(*v) : "-");
        }
        cells.push_back(std::move(line));
    }
    return render_text_table(cols, cells);
}

std::string render_kv(const json& obj) {
    if (!obj.is_object()) {
        return to_text(obj) + "\n";
    }
    std::vector<std::pair<std::string, std::string>> lines;
    for (const auto& [k, v] : obj.items()) {
        lines.emplace_back(k, v.is_object() || v.is_array() ? dump_json(v) : to_text(v));
    }
    return render_text_kv(lines);
}

} // namespace vipgate
