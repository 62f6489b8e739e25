#include "console/control_socket.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

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

std::string frame(const reply& r) {
    return std::string(r.ok ? "OK " : "ERR ") + std::to_string(r.text.size()) + "\n" + r.text;
}

} // namespace

control_socket::~control_socket() {
    close();
}

result<void> control_socket::open(const std::string& path) {
    sockaddr_un addr;
    if (!fill_addr(path, addr)) {
        return make_error("control socket path too long (max " +
                          std::to_string(sizeof addr.sun_path - 1) + " bytes): " + path);
    }
    std::error_code ec;
    auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
        std::filesystem::create_directories(dir, ec);
        if (ec) {
            return make_error("cannot create " + dir.string() + ": " + ec.message());
        }
        ::chmod(dir.c_str(), 0700);
    }
    // Is another vipgate answering there?
    int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe >= 0) {
        if (::connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
            ::close(probe);
            return make_error("another process (a running vipgate?) is listening on " + path +
                              "; stop it or choose another --control-socket");
        }
        ::close(probe);
    }
    ::unlink(path.c_str()); // stale socket from a crashed run
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) {
        return make_error(sys_error("socket"));
    }
    mode_t old = ::umask(0177); // the socket is created 0600: root's console only
    int rc = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::umask(old);
    if (rc != 0) {
        auto e = make_error(sys_error("bind " + path));
        ::close(listen_fd_);
        listen_fd_ = -1;
        return e;
    }
    ::chmod(path.c_str(), 0600);
    if (::listen(listen_fd_, 16) != 0) {
        auto e = make_error(sys_error("listen " + path));
        close();
        return e;
    }
    path_ = path;
    cp_.watch_fd(listen_fd_, POLLIN, [this](short) { on_accept(); });
    spdlog::info("control socket listening on {}", path_);
    return {};
}

void control_socket::close() {
    for (auto& c : clients_) {
        cp_.unwatch_fd(c.fd);
        ::close(c.fd);
    }
    clients_.clear();
    if (listen_fd_ >= 0) {
        cp_.unwatch_fd(listen_fd_);
        ::close(listen_fd_);
        listen_fd_ = -1;
        ::unlink(path_.c_str());
    }
}

void control_socket::on_accept() {
    for (;;) {
        int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            return;
        }
        if (clients_.size() >= max_clients) {
            std::string msg = frame(reply::failure("error: too many control clients (max " +
                                                   std::to_string(max_clients) + ")\n"));
            [[maybe_unused]] auto n = ::send(fd, msg.data(), msg.size(), MSG_NOSIGNAL);
            ::close(fd);
            continue;
        }
        clients_.push_back({fd, {}, {}, false});
        cp_.watch_fd(fd, POLLIN, [this, fd](short rev) { on_client(fd, rev); });
    }
}

control_socket::client* control_socket::find(int fd) {
    for (auto& c : clients_) {
        if (c.fd == fd) {
            return &c;
        }
    }
    return nullptr;
}

void control_socket::drop_client(int fd) {
    cp_.unwatch_fd(fd);
    ::close(fd);
    clients_.erase(std::remove_if(clients_.begin(), clients_.end(),
                                  [fd](const client& c) { return c.fd == fd; }),
                   clients_.end());
}

void control_socket::on_client(int fd, short revents) {
    client* c = find(fd);
    if (c == nullptr) {
        return;
    }
    if (revents & POLLIN) {
        char buf[4096];
        for (;;) {
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n > 0) {
                c->in.append(buf, static_cast<std::size_t>(n));
                if (c->in.size() > max_line * 4) {
                    break;
                }
                continue;
            }
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                if (c->out.empty()) {
                    drop_client(fd);
                    return;
                }
                c->closing = true;
            }
            break;
        }
        std::size_t nl;
        while (!c->closing && (nl = c->in.find('\n')) != std::string::npos) {
            std::string line = c->in.substr(0, nl);
            c->in.erase(0, nl + 1);
            if (line.size() > max_line) {
                c->out += frame(reply::failure("error: command longer than " +
                                               std::to_string(max_line) + " bytes\n"));
                continue;
            }
            reply r = engine_.execute(line);
            c->out += frame(r);
            if (r.quit) {
                c->closing = true;
            }
        }
        if (!c->closing && c->in.size() > max_line) {
            c->out += frame(reply::failure("error: command longer than " +
                                           std::to_string(max_line) + " bytes\n"));
            c->closing = true;
        }
    }
    if (revents & (POLLERR | POLLNVAL)) {
        drop_client(fd);
        return;
    }
    while (!c->out.empty()) {
        ssize_t n = ::send(fd, c->out.data(), c->out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            c->out.erase(0, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        }
        drop_client(fd);
        return;
    }
    if (c->out.empty() && (c->closing || (revents & POLLHUP))) {
        drop_client(fd);
        return;
    }
    cp_.set_fd_events(fd, c->out.empty() ? POLLIN : static_cast<short>(POLLIN | POLLOUT));
}

} // namespace vipgate::console
