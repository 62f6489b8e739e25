#include "console/client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vipgate::console {

namespace {

std::string sys_error(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

bool fill_addr(const std::string& path, sockaddr_un& addr) {
    std::memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) {
        return false;
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    return true;
}

} // namespace

result<client_reply> send_command(const std::string& path, const std::string& command,
                                  int timeout_ms) {
    sockaddr_un addr;
    if (!fill_addr(path, addr)) {
        return make_error("socket path too long: " + path);
    }
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return make_error(sys_error("socket"));
    }
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        auto e = make_error(sys_error("cannot connect to " + path) +
                            " (is vipgate running with this --control-socket?)");
        ::close(fd);
        return e;
    }
    std::string msg = command + "\n";
    std::size_t sent = 0;
    while (sent < msg.size()) {
        ssize_t n = ::send(fd, msg.data() + sent, msg.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) {
            auto e = make_error(sys_error("send"));
            ::close(fd);
            return e;
        }
        sent += static_cast<std::size_t>(n);
    }
    std::string in;
    std::size_t need = std::string::npos;
    std::size_t header = 0;
    bool ok = false;
    for (;;) {
        if (need != std::string::npos && in.size() >= header + need) {
            break;
        }
        pollfd p{fd, POLLIN, 0};
        int pr = ::poll(&p, 1, timeout_ms);
        if (pr <= 0) {
            ::close(fd);
            return make_error("no answer from vipgate on " + path + " within " +
                              std::to_string(timeout_ms) + " ms");
        }
        char buf[8192];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            ::close(fd);
            return make_error("vipgate closed the connection before answering");
        }
        in.append(buf, static_cast<std::size_t>(n));
        if (need == std::string::npos) {
            std::size_t nl = in.find('\n');
            if (nl == std::string::npos) {
                continue;
            }
            std::string h = in.substr(0, nl);
            header = nl + 1;
            std::size_t sp = h.find(' ');
            if (sp == std::string::npos) {
                ::close(fd);
                return make_error("malformed reply header: " + h);
            }
            ok = h.substr(0, sp) == "OK";
            try {
                need = std::stoul(h.substr(sp + 1));
            } catch (...) {
                ::close(fd);
                return make_error("malformed reply header: " + h);
            }
        }
    }
    ::close(fd);
    return client_reply{ok, in.substr(header, need)};
}

} // namespace vipgate::console
