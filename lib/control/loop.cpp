#include "control/loop.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>

namespace vipgate::control {

usec steady_now() {
    return std::chrono::duration_cast<usec>(std::chrono::steady_clock::now().time_since_epoch());
}

bool log_limiter::allow(usec now, std::uint64_t& suppressed) {
    if (now - window_start_ >= period_) {
        window_start_ = now;
        in_window_ = 0;
    }
    if (in_window_ < burst_) {
        ++in_window_;
        suppressed = suppressed_;
        suppressed_ = 0;
        return true;
    }
    ++suppressed_;
    return false;
}

event_loop::event_loop() {
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ >= 0) {
        watch_fd(wake_fd_, POLLIN, [this](short) {
            std::uint64_t v;
            while (::read(wake_fd_, &v, sizeof v) > 0) {
            }
        });
    }
}

event_loop::~event_loop() {
    if (wake_fd_ >= 0) {
        ::close(wake_fd_);
    }
}

void event_loop::every(std::string name, usec interval, task_fn fn) {
    tasks_.push_back({std::move(name), interval, usec{0}, std::move(fn)});
}

void event_loop::run_due(usec now) {
    for (auto& t : tasks_) {
        if (now >= t.next) {
            t.fn(now);
            t.next = now + t.interval;
        }
    }
}

std::optional<usec> event_loop::next_deadline() const {
    std::optional<usec> d;
    for (const auto& t : tasks_) {
        if (!d || t.next < *d) {
            d = t.next;
        }
    }
    return d;
}

std::vector<event_loop::task_info> event_loop::tasks() const {
    std::vector<task_info> out;
    for (const auto& t : tasks_) {
        out.push_back({t.name, t.interval, t.next});
    }
    return out;
}

void event_loop::watch_fd(int fd, short events, fd_callback cb) {
    unwatch_fd(fd);
    fds_.push_back({fd, events, std::move(cb)});
}

void event_loop::set_fd_events(int fd, short events) {
    for (auto& w : fds_) {
        if (w.fd == fd) {
            w.events = events;
        }
    }
}

void event_loop::unwatch_fd(int fd) {
    fds_.erase(
        std::remove_if(fds_.begin(), fds_.end(), [fd](const watched& w) { return w.fd == fd; }),
        fds_.end());
}

void event_loop::poll(usec wait) {
    std::vector<pollfd> pfds;
    pfds.reserve(fds_.size());
    for (const auto& w : fds_) {
        pfds.push_back({w.fd, w.events, 0});
    }
    timespec ts{static_cast<time_t>(wait.count() / 1000000),
                static_cast<long>((wait.count() % 1000000) * 1000)};
    int n = ::ppoll(pfds.data(), pfds.size(), &ts, nullptr);
    if (n <= 0) {
        return;
    }
    // Callbacks may add or remove fds: copy the ready ones first.
    std::vector<std::pair<int, short>> ready;
    for (const auto& p : pfds) {
        if (p.revents != 0) {
            ready.emplace_back(p.fd, p.revents);
        }
    }
    for (const auto& [fd, rev] : ready) {
        for (auto& w : fds_) {
            if (w.fd == fd) {
                auto cb = w.cb; // keep alive if the callback unwatches itself
                cb(rev);
                break;
            }
        }
    }
}

json event_loop::call_sync(std::function<json()> fn, usec timeout) {
    auto call = std::make_shared<pending_call>();
    call->fn = std::move(fn);
    {
        std::lock_guard<std::mutex> g(calls_mutex_);
        calls_.push_back(call);
    }
    if (wake_fd_ >= 0) {
        std::uint64_t one = 1;
        [[maybe_unused]] auto r = ::write(wake_fd_, &one, sizeof one);
    }
    std::unique_lock<std::mutex> lk(calls_mutex_);
    if (!calls_cv_.wait_for(lk, timeout, [&] { return call->done; })) {
        json e = json::object();
        e["error"] = "control core did not answer in time";
        return e;
    }
    return call->result;
}

void event_loop::serve_calls() {
    std::deque<std::shared_ptr<pending_call>> todo;
    {
        std::lock_guard<std::mutex> g(calls_mutex_);
        todo.swap(calls_);
    }
    if (todo.empty()) {
        return;
    }
    for (auto& c : todo) {
        json r;
        try {
            r = c->fn();
        } catch (const std::exception& e) {
            r = json::object();
            r["error"] = e.what();
        }
        std::lock_guard<std::mutex> g(calls_mutex_);
        c->result = std::move(r);
        c->done = true;
    }
    calls_cv_.notify_all();
}

} // namespace vipgate::control
