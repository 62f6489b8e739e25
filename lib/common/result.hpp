#pragma once
// Result type for control-path code: a value or an error with a message.
// (std::expected is C++23; this is the subset vipgate needs.)

#include <string>
#include <utility>
#include <variant>

namespace vipgate {

struct error {
    std::string message;
};

inline error make_error(std::string msg) {
    return error{std::move(msg)};
}

template <class T>
class [[nodiscard]] result {
  public:
    result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    result(error err) : v_(std::in_place_index<1>, std::move(err)) {}

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &std::get<0>(v_); }
    const T* operator->() const { return &std::get<0>(v_); }
    T& operator*() & { return std::get<0>(v_); }
    const T& operator*() const& { return std::get<0>(v_); }

    const error& err() const& { return std::get<1>(v_); }
    const std::string& message() const { return std::get<1>(v_).message; }

  private:
    std::variant<T, error> v_;
};

template <>
class [[nodiscard]] result<void> {
  public:
    result() = default;
    result(error err) : err_(std::move(err)), ok_(false) {}
    bool ok() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    const error& err() const& { return err_; }
    const std::string& message() const { return err_.message; }

  private:
    error err_{};
    bool ok_ = true;
};

} // namespace vipgate
