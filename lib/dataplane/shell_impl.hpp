#pragma once
// The real control::shell: the control core's calls delegated to the DPDK
// shell (dataplane::dataplane). Owns nothing; `dp` must outlive it.
//
// Threads: control core only (like the calls it delegates to).

#include "control/shell.hpp"
#include "dataplane/dataplane.hpp"

namespace vipgate::dataplane {

class shell_impl final : public control::shell {
  public:
    explicit shell_impl(dataplane& dp) : dp_(dp) {}

    const std::vector<control::port_info>& ports() const override { return dp_.ports(); }
    control::link_state link(std::uint16_t port) const override { return dp_.link(port); }
    control::port_counters port_stats(std::uint16_t port) const override;
    bool lb_enabled() const override { return dp_.lb_enabled(); }

    unsigned worker_count() const override { return dp_.worker_count(); }
    unsigned worker_lcore(unsigned w) const override { return dp_.worker_lcore(w); }
    const control::worker_stats& worker(unsigned w) const override { return dp_.stats(w); }
    std::vector<control::flow_record> dump_flows(const control::flow_dump_request& req) override {
        return dp_.dump_flows(req);
    }

    void publish(std::unique_ptr<const pipeline::snapshot> s) override {
        dp_.publish(std::move(s));
    }
    void reclaim() override { dp_.reclaim(); }
    const pipeline::snapshot& current() const override { return dp_.current(); }

    unsigned drain_punts(const std::function<void(const control::punt_view&)>& fn,
                         unsigned budget) override;
    std::uint64_t punt_backlog() const override { return dp_.punt_ring_count(); }
    unsigned drain_notices(const std::function<void(const control::notice_view&)>& fn,
                           unsigned budget) override {
        return dp_.drain_notices(fn, budget);
    }

    control::send_result send(std::uint16_t port, std::span<const std::uint8_t> frame) override;
    unsigned control_tx_pending() const override { return dp_.control_tx_pending(); }
    control::control_tx_counters control_tx() const override {
        return {dp_.control_tx_dropped(), dp_.control_tx_queue_full(), dp_.control_tx_sent()};
    }

  private:
    dataplane& dp_;
};

} // namespace vipgate::dataplane
