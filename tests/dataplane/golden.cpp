#include "golden.hpp"

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

namespace vipgate::test {

namespace {

std::string type_tag(const std::string& v) {
    if (v == "null") {
        return v;
    }
    if (v == "true" || v == "false") {
        return "\"<bool>\"";
    }
    if (!v.empty() && v[0] == '"') {
        return "\"<string>\"";
    }
    return "\"<number>\"";
}

std::vector<std::string> lines_of(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string l; std::getline(in, l);) {
        out.push_back(l);
    }
    return out;
}

std::string replace_values(std::string s, const golden_mask& m) {
    for (const auto& [from, to] : m.values) {
        for (std::size_t at = s.find(from); at != std::string::npos;
             at = s.find(from, at + to.size())) {
            s.replace(at, from.size(), to);
        }
    }
    return s;
}

} // namespace

std::string mask_text(const std::string& text, const golden_mask& m) {
    std::string out;
    for (std::string line : lines_of(replace_values(text, m))) {
        for (const auto& [re, to] : m.patterns) {
            line = std::regex_replace(line, std::regex(re), to);
        }
        out += line + "\n";
    }
    return out;
}

std::string mask_reply(const std::string& text, const golden_mask& m) {
    const std::string s = replace_values(text, m);
    std::string out;
    for (const auto& line : lines_of(s)) {
        // `  "key": value,` with a scalar value (objects and arrays open a
        // line of their own and are never masked whole).
        std::size_t q1 = line.find('"');
        std::size_t q2 = q1 == std::string::npos ? q1 : line.find("\": ", q1 + 1);
        if (q2 != std::string::npos && line.find_first_not_of(' ') == q1) {
            std::string key = line.substr(q1 + 1, q2 - q1 - 1);
            std::string value = line.substr(q2 + 3);
            bool comma = !value.empty() && value.back() == ',';
            if (comma) {
                value.pop_back();
            }
            if (m.keys.count(key) != 0 && !value.empty() && value[0] != '{' && value[0] != '[') {
                out += line.substr(0, q2 + 3) + type_tag(value) + (comma ? "," : "") + "\n";
                continue;
            }
        }
        out += line + "\n";
    }
    return out;
}

std::string check_golden(const std::string& file, const std::string& text) {
    const std::string path = std::string(VIPGATE_GOLDEN_DIR) + "/" + file;
    const char* update = std::getenv("VIPGATE_UPDATE_GOLDEN");
    if (update != nullptr && std::string(update) == "1") {
        std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
        return {};
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return path + ": missing (run with VIPGATE_UPDATE_GOLDEN=1 to create it)";
    }
    std::string want((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (want == text) {
        return {};
    }
    auto a = lines_of(want), b = lines_of(text);
    std::size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i]) {
        ++i;
    }
    return path + ": line " + std::to_string(i + 1) + ": want '" + (i < a.size() ? a[i] : "<end>") +
           "', got '" + (i < b.size() ? b[i] : "<end>") + "'\nwhole reply:\n" + text;
}

} // namespace vipgate::test
