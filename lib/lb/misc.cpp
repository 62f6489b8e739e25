// Small out-of-line pieces: names of drop reasons, the default allocator.
#include <new>

#include "lb/drop_reason.hpp"
#include "lb/memory.hpp"

namespace vipgate::lb {

namespace {

constexpr const char* names[] = {"none",
#define VIPGATE_LB_DROP_REASON_NAME(name, help) #name,
                                 VIPGATE_LB_DROP_REASONS(VIPGATE_LB_DROP_REASON_NAME)
#undef VIPGATE_LB_DROP_REASON_NAME
};

constexpr const char* helps[] = {"not dropped",
#define VIPGATE_LB_DROP_REASON_HELP(name, help) help,
                                 VIPGATE_LB_DROP_REASONS(VIPGATE_LB_DROP_REASON_HELP)
#undef VIPGATE_LB_DROP_REASON_HELP
};

static_assert(sizeof(names) / sizeof(names[0]) == drop_reason_count);

void* new_allocate(void*, std::size_t size, std::size_t align) {
    return ::operator new(size, std::align_val_t{align}, std::nothrow);
}

void new_deallocate(void*, void* p, std::size_t, std::size_t align) {
    ::operator delete(p, std::align_val_t{align});
}

constexpr allocator default_alloc{&new_allocate, &new_deallocate, nullptr};

} // namespace

const allocator& default_allocator() noexcept {
    return default_alloc;
}

const char* drop_reason_name(drop_reason r) noexcept {
    const auto i = static_cast<std::size_t>(r);
    return i < drop_reason_count ? names[i] : "unknown";
}

const char* drop_reason_help(drop_reason r) noexcept {
    const auto i = static_cast<std::size_t>(r);
    return i < drop_reason_count ? helps[i] : "unknown";
}

} // namespace vipgate::lb
