#include "common/text_table.hpp"

#include <algorithm>

namespace vipgate {

std::string render_text_table(const text_row& columns, const std::vector<text_row>& rows) {
    if (rows.empty()) {
        return "(none)\n";
    }
    std::vector<std::size_t> width(columns.size());
    for (std::size_t c = 0; c < columns.size(); ++c) {
        width[c] = columns[c].size();
        for (const auto& r : rows) {
            width[c] = std::max(width[c], c < r.size() ? r[c].size() : 1);
        }
    }
    std::string out;
    auto emit = [&](const text_row& line) {
        for (std::size_t c = 0; c < columns.size(); ++c) {
            const std::string cell = c < line.size() ? line[c] : "-";
            out += cell;
            if (c + 1 < columns.size()) {
                out.append(width[c] - cell.size() + 2, ' ');
            }
        }
        out += '\n';
    };
    emit(columns);
    for (const auto& r : rows) {
        emit(r);
    }
    return out;
}

std::string render_text_kv(const std::vector<std::pair<std::string, std::string>>& lines) {
    std::size_t w = 0;
    for (const auto& [k, v] : lines) {
        w = std::max(w, k.size());
    }
    std::string out;
    for (const auto& [k, v] : lines) {
        out += k;
        out += ':';
        out.append(w - k.size() + 1, ' ');
        out += v;
        out += '\n';
    }
    return out;
}

} // namespace vipgate
