#pragma once
// Aligned text for human replies: a table of cells under column names, or
// "key: value" lines. The typed reports fill cells from their fields;
// render_table(json) uses the same layout. Control path only.

#include <string>
#include <utility>
#include <vector>

namespace vipgate {

using text_row = std::vector<std::string>;

// Columns two spaces apart, each as wide as its widest cell; "(none)" when
// there are no rows.
std::string render_text_table(const text_row& columns, const std::vector<text_row>& rows);
// "key: value" lines, values aligned.
std::string render_text_kv(const std::vector<std::pair<std::string, std::string>>& lines);

} // namespace vipgate
