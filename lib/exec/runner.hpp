#pragma once
// The process runner seam: start a command, later learn how it ended.
// Nothing blocks: start() returns at once and poll() only collects what has
// already happened, so the control loop never waits on a script (issue 12:
// "Scripts run off the control loop (never block VRRP timing)").
//
// Several users (tracker, notify dispatcher, MISC_CHECK) share one runner;
// the owner of the loop polls it and hands each finished run to the user
// whose handle it is (their on_finished() returns false for a foreign one).
//
// Threads: one owner (the control loop). Tests use a fake runner.

#include "common/result.hpp"
#include "exec/types.hpp"

#include <cstdint>
#include <vector>

namespace vipgate::exec {

// Names one run; never 0, never reused by one runner.
using handle = std::uint64_t;

struct finished {
    handle id = 0;
    exit_status status;
    usec ended{0};
    friend bool operator==(const finished&, const finished&) = default;
};

class runner {
  public:
    virtual ~runner() = default;
    // Starts `cmd` now; its timeout counts from `now`. An error means it did
    // not start (bad argv, user switch refused, spawn failure).
    virtual result<handle> start(const command& cmd, usec now) = 0;
    // Appends every run that ended since the last call, and enforces the
    // timeouts that have passed by `now`. Never blocks.
    virtual void poll(usec now, std::vector<finished>& out) = 0;
    // Runs started and not yet reported by poll().
    virtual std::size_t running() const = 0;
};

} // namespace vipgate::exec
