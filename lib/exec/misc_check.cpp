#include "exec/misc_check.hpp"

namespace vipgate::exec {

misc_verdict interpret_misc(const exit_status& st, bool misc_dynamic) {
    if (succeeded(st)) {
        return {true, std::nullopt, "succeeded"};
    }
    if (misc_dynamic && st.kind == end_kind::exited && st.code >= 2 && st.code <= 255) {
        return {true, static_cast<std::uint32_t>(st.code - 2), "succeeded"};
    }
    return {false, std::nullopt, describe(st)};
}

} // namespace vipgate::exec
