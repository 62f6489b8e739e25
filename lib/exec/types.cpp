#include "exec/types.hpp"

#include <cstring>

namespace vipgate::exec {

std::string describe(const exit_status& s) {
    switch (s.kind) {
    case end_kind::exited:
        return "exited with status " + std::to_string(s.code);
    case end_kind::signalled:
        return "due to signal " + std::to_string(s.code);
    case end_kind::timed_out:
        return "timed out";
    case end_kind::spawn_failed:
        if (s.code == 0) {
            return "could not start";
        }
        return std::string{"could not start ("} + std::strerror(s.code) + ")";
    }
    return "unknown";
}

std::string quote_command(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& word : argv) {
        if (!out.empty()) {
            out += ' ';
        }
        out += '\'';
        out += word;
        out += '\'';
    }
    return out;
}

} // namespace vipgate::exec
