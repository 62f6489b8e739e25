#include "dataplane/kernel_link.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace vipgate::dataplane {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    return s;
}

// The first bytes of a sysfs attribute; nullopt when it cannot be opened or
// read (the kernel answers EINVAL to a read of `carrier` while the
// interface is administratively down).
std::optional<std::string> read_text(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return std::nullopt;
    }
    char buf[64];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    if (n < 0) {
        return std::nullopt;
    }
    return std::string(buf, static_cast<std::size_t>(n));
}

// Linux IFNAMSIZ is 16 with the terminating NUL.
constexpr std::size_t max_ifname = 15;

bool plain_name(std::string_view s) {
    return !s.empty() && s.size() <= max_ifname && s != "." && s != ".." &&
           s.find('/') == std::string_view::npos;
}

} // namespace

std::optional<std::string> af_packet_iface(std::string_view device) {
    if (device.rfind("net_af_packet", 0) != 0) {
        return std::nullopt;
    }
    std::size_t pos = device.find(',');
    while (pos != std::string_view::npos) {
        const std::size_t end = device.find(',', pos + 1);
        const std::string_view kv =
            device.substr(pos + 1, end == std::string_view::npos ? end : end - pos - 1);
        if (kv.rfind("iface=", 0) == 0 && kv.size() > 6) {
            return std::string(kv.substr(6));
        }
        pos = end;
    }
    return std::nullopt;
}

std::optional<bool> parse_carrier(std::string_view text) {
    text = trim(text);
    if (text == "1") {
        return true;
    }
    if (text == "0") {
        return false;
    }
    return std::nullopt;
}

bool kernel_link_up(const std::optional<std::string>& carrier,
                    const std::optional<std::string>& operstate) {
    if (carrier) {
        if (auto c = parse_carrier(*carrier)) {
            return *c;
        }
    }
    return operstate && trim(*operstate) == "up";
}

bool read_kernel_link(const std::string& iface, const std::string& root) {
    if (!plain_name(iface)) {
        return false;
    }
    const std::string dir = root + "/" + iface + "/";
    return kernel_link_up(read_text(dir + "carrier"), read_text(dir + "operstate"));
}

} // namespace vipgate::dataplane
