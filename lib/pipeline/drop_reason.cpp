#include "pipeline/drop_reason.hpp"

#include <array>

namespace vipgate::pipeline {

namespace {

constexpr std::array<const char*, drop_reason_count> names = {
#define VIPGATE_DROP_REASON_NAME(name, help) #name,
    VIPGATE_DROP_REASONS(VIPGATE_DROP_REASON_NAME)
#undef VIPGATE_DROP_REASON_NAME
};

constexpr std::array<const char*, drop_reason_count> helps = {
#define VIPGATE_DROP_REASON_HELP(name, help) help,
    VIPGATE_DROP_REASONS(VIPGATE_DROP_REASON_HELP)
#undef VIPGATE_DROP_REASON_HELP
};

} // namespace

const char* drop_reason_name(drop_reason r) noexcept {
    const auto i = to_index(r);
    return i < names.size() ? names[i] : "unknown";
}

const char* drop_reason_help(drop_reason r) noexcept {
    const auto i = to_index(r);
    return i < helps.size() ? helps[i] : "unknown drop reason";
}

} // namespace vipgate::pipeline
