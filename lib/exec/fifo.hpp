#pragma once
// global_defs' notify_fifo / vrrp_notify_fifo / lvs_notify_fifo: a named
// pipe that gets one line per event (lines from notify.hpp). As keepalived
// (lib/notify.c fifo_open()): created with mode 0644 if missing, opened
// O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW so that opening never waits
// for a reader and a write never blocks the control loop; a line that does
// not fit (no reader draining the pipe) is dropped and counted. A FIFO this
// writer created is removed when it closes.

#include "common/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace vipgate::exec {

class fifo_writer {
  public:
    static result<fifo_writer> open(const std::string& path);
    fifo_writer(fifo_writer&& o) noexcept;
    fifo_writer& operator=(fifo_writer&& o) noexcept;
    fifo_writer(const fifo_writer&) = delete;
    fifo_writer& operator=(const fifo_writer&) = delete;
    ~fifo_writer();

    // Whole line or nothing (PIPE_BUF atomicity); false if dropped.
    bool write(std::string_view line);
    std::uint64_t written() const { return written_; }
    std::uint64_t dropped() const { return dropped_; }
    const std::string& path() const { return path_; }

  private:
    fifo_writer(std::string path, int fd, bool created)
        : path_(std::move(path)), fd_(fd), created_(created) {}
    void close();

    std::string path_;
    int fd_ = -1;
    bool created_ = false;
    std::uint64_t written_ = 0;
    std::uint64_t dropped_ = 0;
};

} // namespace vipgate::exec
