// Small out-of-line pieces: names of drop reasons and sync refusals, the
// default allocator.
#include <new>

#include "lb/drop_reason.hpp"
#include "lb/flow_sync.hpp"
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

constexpr const char* refusal_names[] = {"none",
#define VIPGATE_LB_SYNC_REFUSAL_NAME(name, help) #name,
                                         VIPGATE_LB_SYNC_REFUSALS(VIPGATE_LB_SYNC_REFUSAL_NAME)
#undef VIPGATE_LB_SYNC_REFUSAL_NAME
};

constexpr const char* refusal_helps[] = {"installed",
#define VIPGATE_LB_SYNC_REFUSAL_HELP(name, help) help,
                                         VIPGATE_LB_SYNC_REFUSALS(VIPGATE_LB_SYNC_REFUSAL_HELP)
#undef VIPGATE_LB_SYNC_REFUSAL_HELP
};

static_assert(sizeof(refusal_names) / sizeof(refusal_names[0]) == sync_refusal_count);

constexpr const char* kind_names[flow_event_kind_count] = {"add", "state_change", "refresh",
                                                           "remove", "persist"};

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

const char* sync_refusal_name(sync_refusal r) noexcept {
    const auto i = static_cast<std::size_t>(r);
    return i < sync_refusal_count ? refusal_names[i] : "unknown";
}

const char* sync_refusal_help(sync_refusal r) noexcept {
    const auto i = static_cast<std::size_t>(r);
    return i < sync_refusal_count ? refusal_helps[i] : "unknown";
}

const char* flow_event_kind_name(flow_event_kind k) noexcept {
    const auto i = static_cast<std::size_t>(k);
    return i < flow_event_kind_count ? kind_names[i] : "unknown";
}

} // namespace vipgate::lb
