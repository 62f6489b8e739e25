#pragma once
// Memory for the per-worker tables comes from a caller-supplied allocator so
// the DPDK shell can put it in hugepages on the worker's NUMA socket
// (rte_zmalloc_socket / rte_free); tests and the control core use the
// default (aligned operator new). Everything is allocated once, at create();
// nothing on the fast path allocates.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

namespace vipgate::lb {

struct allocator {
    // Returns `size` bytes aligned to `align` (a power of two), or nullptr.
    void* (*allocate)(void* ctx, std::size_t size, std::size_t align) = nullptr;
    // Frees what allocate returned; size and align are those it was asked for.
    void (*deallocate)(void* ctx, void* p, std::size_t size, std::size_t align) = nullptr;
    void* ctx = nullptr;
};

// Aligned ::operator new / delete.
const allocator& default_allocator() noexcept;

// A fixed-size array of trivially copyable T in allocator memory. Move-only.
// Elements are value-initialised at creation, which also pre-faults the pages
// before the worker starts.
template <class T>
class fixed_array {
    static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

  public:
    fixed_array() = default;
    fixed_array(const fixed_array&) = delete;
    fixed_array& operator=(const fixed_array&) = delete;
    fixed_array(fixed_array&& o) noexcept
        : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)),
          alloc_(o.alloc_) {}
    fixed_array& operator=(fixed_array&& o) noexcept {
        if (this != &o) {
            release();
            data_ = std::exchange(o.data_, nullptr);
            size_ = std::exchange(o.size_, 0);
            alloc_ = o.alloc_;
        }
        return *this;
    }
    ~fixed_array() { release(); }

    // nullopt when the allocator fails (or n * sizeof(T) overflows).
    static std::optional<fixed_array> create(std::size_t n, const allocator& a) {
        fixed_array r;
        r.alloc_ = a;
        if (n == 0) {
            return r;
        }
        if (n > SIZE_MAX / sizeof(T) || a.allocate == nullptr) {
            return std::nullopt;
        }
        void* p = a.allocate(a.ctx, n * sizeof(T), alignment);
        if (p == nullptr) {
            return std::nullopt;
        }
        r.data_ = static_cast<T*>(p);
        r.size_ = n;
        std::uninitialized_value_construct_n(r.data_, n);
        return r;
    }

    T* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }
    std::size_t bytes() const noexcept { return size_ * sizeof(T); }
    T& operator[](std::size_t i) const noexcept { return data_[i]; }
    std::span<T> span() const noexcept { return {data_, size_}; }

  private:
    // Cache-line aligned: entries never share a line with another array.
    static constexpr std::size_t alignment = alignof(T) < 64 ? 64 : alignof(T);

    void release() noexcept {
        if (data_ != nullptr && alloc_.deallocate != nullptr) {
            alloc_.deallocate(alloc_.ctx, data_, size_ * sizeof(T), alignment);
        }
        data_ = nullptr;
        size_ = 0;
    }

    T* data_ = nullptr;
    std::size_t size_ = 0;
    allocator alloc_{};
};

} // namespace vipgate::lb
