#pragma once
// A runner that starts nothing: it records each command, and the test says
// when and how each run ends.

#include "exec/runner.hpp"

#include <map>
#include <string>
#include <vector>

namespace vipgate::exec::testing {

class fake_runner final : public runner {
  public:
    struct run {
        handle id = 0;
        command cmd;
        usec started{0};
    };

    result<handle> start(const command& cmd, usec now) override {
        if (fail_next_start) {
            fail_next_start = false;
            return make_error("cannot run " + cmd.argv.at(0) + ": No such file or directory");
        }
        const handle id = next_++;
        started.push_back({id, cmd, now});
        live_[id] = cmd;
        return id;
    }
    void poll(usec, std::vector<finished>& out) override {
        out.insert(out.end(), ended_.begin(), ended_.end());
        ended_.clear();
    }
    std::size_t running() const override { return live_.size(); }

    // Ends run `id` (the next poll() reports it) and returns the record.
    finished end(handle id, exit_status st, usec at = usec{0}) {
        live_.erase(id);
        return finished{id, st, at};
    }
    bool is_live(handle id) const { return live_.count(id) != 0; }
    // argv[0] of every started run, in start order.
    std::vector<std::string> programs() const {
        std::vector<std::string> out;
        for (const auto& r : started) {
            out.push_back(r.cmd.argv.at(0));
        }
        return out;
    }

    std::vector<run> started;
    bool fail_next_start = false;

  private:
    handle next_ = 1;
    std::map<handle, command> live_;
    std::vector<finished> ended_;
};

} // namespace vipgate::exec::testing
