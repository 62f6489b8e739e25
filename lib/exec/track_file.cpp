#include "exec/track_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace vipgate::exec {

std::optional<std::int64_t> parse_track_file(std::string_view text) {
    const std::string buf(text.substr(0, track_file_read_max)); // NUL-terminated for strtoll
    errno = 0;
    const long long v = std::strtoll(buf.c_str(), nullptr, 0);
    if (errno != 0 || v < static_cast<long long>(INT32_MIN) ||
        v > static_cast<long long>(INT32_MAX) + 1) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(v);
}

std::string read_track_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        return {};
    }
    char buf[track_file_read_max];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string{};
}

track_effect file_effect(std::int64_t v, int weight, bool reverse) noexcept {
    track_effect e;
    if (weight == 0) {
        // track_file.c: "!new_status != (weight_multiplier == 1) ? INT_MIN".
        e.fault = (v != 0) != reverse;
        return e;
    }
    const std::int64_t s = v * weight * (reverse ? -1 : 1); // |v| <= 2^31, |weight| <= 254
    if (s <= -254) {
        e.fault = true; // "tracked file %s now FAULT state"
    } else {
        e.priority_delta = static_cast<int>(s > 253 ? 253 : s);
    }
    return e;
}

std::string init_track_file(const std::string& path, std::int64_t value, bool overwrite,
                            bool reload) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        if (!overwrite || reload) {
            return {};
        }
        if (!S_ISREG(st.st_mode)) {
            return "cannot initialise " + path + ": not a regular file";
        }
    }
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (f == nullptr) {
        return "cannot initialise " + path + ": " + std::strerror(errno);
    }
    std::fprintf(f, "%lld\n", static_cast<long long>(value));
    return std::fclose(f) == 0 ? std::string{} : "cannot initialise " + path + ": write failed";
}

} // namespace vipgate::exec
