#pragma once
// The control core's event loop machinery: the clock, the named periodic
// tasks (one table, each with its interval), fd watching and calls from
// other threads. control_plane::run_once() drives it; what the tasks do is
// the control plane's business.
//
// Threads: control core only, except call_sync() (any thread).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/json.hpp"

namespace vipgate::control {

using usec = std::chrono::microseconds;

// The control core's clock (steady, microseconds). Tests pass their own.
using clock_fn = std::function<usec()>;
usec steady_now();

// Rate limit for log lines on the control core: at most `burst` per `period`.
class log_limiter {
  public:
    log_limiter(unsigned burst, usec period) : burst_(burst), period_(period) {}
    // true: log it now. `suppressed` holds how many were skipped since.
    bool allow(usec now, std::uint64_t& suppressed);

  private:
    unsigned burst_;
    usec period_;
    usec window_start_{0};
    unsigned in_window_ = 0;
    std::uint64_t suppressed_ = 0;
};

class event_loop {
  public:
    using fd_callback = std::function<void(short revents)>;
    using task_fn = std::function<void(usec now)>;

    event_loop();
    ~event_loop();
    event_loop(const event_loop&) = delete;
    event_loop& operator=(const event_loop&) = delete;

    // ---- periodic tasks ----
    // Run `fn` from run_due() at the first call, then `interval` after each
    // run (no catching up after a stall: a late task runs once).
    void every(std::string name, usec interval, task_fn fn);
    // Run the due tasks, in the order they were added.
    void run_due(usec now);
    std::optional<usec> next_deadline() const;
    struct task_info {
        std::string name;
        usec interval;
        usec next;
    };
    std::vector<task_info> tasks() const;

    // ---- file descriptors ----
    void watch_fd(int fd, short events, fd_callback cb);
    void set_fd_events(int fd, short events);
    void unwatch_fd(int fd);
    // Wait up to `wait` for a watched fd; run the callbacks of the ready ones.
    void poll(usec wait);

    // ---- calls from other threads ----
    // Run `fn` on the control core (the next serve_calls()) and wait for its
    // result, at most `timeout` (then an object with "error").
    json call_sync(std::function<json()> fn, usec timeout);
    void serve_calls();

  private:
    struct task {
        std::string name;
        usec interval;
        usec next{0};
        task_fn fn;
    };
    std::vector<task> tasks_;

    struct watched {
        int fd;
        short events;
        fd_callback cb;
    };
    std::vector<watched> fds_;

    struct pending_call {
        std::function<json()> fn;
        json result;
        bool done = false;
    };
    std::mutex calls_mutex_;
    std::condition_variable calls_cv_;
    std::deque<std::shared_ptr<pending_call>> calls_;
    int wake_fd_ = -1; // eventfd: wakes poll() when a call arrives
};

} // namespace vipgate::control
