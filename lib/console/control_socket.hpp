#pragma once
// The control socket: a Unix stream socket (mode 0600) speaking the console's
// command language. Served from the control core's event loop (non-blocking).
//
// Protocol (see docs/console.md): the client sends one command per line
// (at most max_line bytes); for each, the server answers
//     "OK <length>\n" or "ERR <length>\n"  followed by <length> bytes of text.
// `quit` ends the session.

#include <cstddef>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "console/engine.hpp"
#include "control/control_plane.hpp"

namespace vipgate::console {

class control_socket {
  public:
    static constexpr std::size_t max_line = 4096;
    static constexpr std::size_t max_clients = 64;

    control_socket(control::control_plane& cp, const engine& e) : cp_(cp), engine_(e) {}
    ~control_socket();

    // Refuses when another process answers on `path` (a second vipgate).
    result<void> open(const std::string& path);
    void close();
    const std::string& path() const { return path_; }
    std::size_t clients() const { return clients_.size(); }

  private:
    struct client {
        int fd;
        std::string in;
        std::string out;
        bool closing = false;
    };
    void on_accept();
    void on_client(int fd, short revents);
    void drop_client(int fd);
    client* find(int fd);

    control::control_plane& cp_;
    const engine& engine_;
    std::string path_;
    int listen_fd_ = -1;
    std::vector<client> clients_;
};

} // namespace vipgate::console
