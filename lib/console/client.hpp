#pragma once
// Client side of the control socket (vipgatectl, tests). Pure POSIX, no DPDK.
// Protocol: see control_socket.hpp.

#include <string>

#include "common/result.hpp"

namespace vipgate::console {

// Client side (vipgatectl, tests): send one command, return the reply.
struct client_reply {
    bool ok = false;
    std::string text;
};
result<client_reply> send_command(const std::string& path, const std::string& command,
                                  int timeout_ms = 5000);

} // namespace vipgate::console
