#pragma once
// A control::shell that records: frames sent, snapshots published; and lets
// the test inject punted frames, notices, link state and counters. No EAL,
// no threads: the control plane runs on the test's thread and clock.

#include <deque>
#include <memory>
#include <vector>

#include "config/config.hpp"
#include "control/shell.hpp"

namespace vipgate::control::testing {

struct sent_frame {
    std::uint16_t port = 0;
    std::vector<std::uint8_t> bytes;
};

class fake_shell final : public shell {
  public:
    // One port per configured port, MAC 02:00:00:00:00:<index+1>.
    explicit fake_shell(const config::config& cfg, unsigned workers = 1, bool lb = true) {
        for (std::size_t i = 0; i < cfg.ports.size(); ++i) {
            port_info p;
            p.name = cfg.ports[i].name;
            p.device = cfg.ports[i].device;
            p.eal_name = "fake" + std::to_string(i);
            p.driver = "fake";
            p.port_id = static_cast<std::uint16_t>(i);
            p.mac = net::mac_addr{{0x02, 0, 0, 0, 0, static_cast<std::uint8_t>(i + 1)}};
            p.cfg = cfg.ports[i];
            ports_.push_back(p);
        }
        links.assign(ports_.size(), link_state{.up = true, .speed_mbps = 10000});
        port_hw.assign(ports_.size(), port_counters{});
        for (unsigned w = 0; w < workers; ++w) {
            workers_.push_back(std::make_unique<worker_stats>());
        }
        lb_ = lb;
        // Until the control plane publishes: the ports, no more (as the
        // dataplane starts).
        pipeline::snapshot_builder b;
        for (const auto& p : ports_) {
            b.add_port(p.mac, p.cfg.address);
        }
        current_ = b.build();
    }

    // ---- what the test sets ----
    std::vector<link_state> links;
    std::vector<port_counters> port_hw;
    std::vector<flow_record> flows;
    worker_stats& worker_mut(unsigned w) { return *workers_.at(w); }
    void inject_punt(std::uint16_t port, pipeline::punt_kind kind, std::vector<std::uint8_t> bytes,
                     std::uint8_t slot = 0) {
        punts_.push_back({port, kind, slot, std::move(bytes)});
    }
    void inject_notice(const notice_view& n) { notices_.push_back(n); }

    // ---- what the test reads ----
    std::vector<sent_frame> sent;
    unsigned published = 0;
    // Frames sent since the last call.
    std::vector<sent_frame> take_sent() {
        std::vector<sent_frame> out;
        out.swap(sent);
        return out;
    }

    // ---- control::shell ----
    const std::vector<port_info>& ports() const override { return ports_; }
    link_state link(std::uint16_t port) const override { return links.at(port); }
    port_counters port_stats(std::uint16_t port) const override { return port_hw.at(port); }
    bool lb_enabled() const override { return lb_; }
    unsigned worker_count() const override { return static_cast<unsigned>(workers_.size()); }
    unsigned worker_lcore(unsigned w) const override { return w + 1; }
    const worker_stats& worker(unsigned w) const override { return *workers_.at(w); }
    std::vector<flow_record> dump_flows(const flow_dump_request&) override { return flows; }

    void publish(std::unique_ptr<const pipeline::snapshot> s) override {
        current_ = std::move(s);
        ++published;
    }
    void reclaim() override {}
    const pipeline::snapshot& current() const override { return *current_; }

    unsigned drain_punts(const std::function<void(const punt_view&)>& fn,
                         unsigned budget) override {
        unsigned n = 0;
        while (!punts_.empty() && n < budget) {
            const auto& p = punts_.front();
            fn({.port = p.port,
                .kind = p.kind,
                .slot = p.slot,
                .frame = std::span<const std::uint8_t>(p.bytes)});
            punts_.pop_front();
            ++n;
        }
        return n;
    }
    std::uint64_t punt_backlog() const override { return punts_.size(); }
    unsigned drain_notices(const std::function<void(const notice_view&)>& fn,
                           unsigned budget) override {
        unsigned n = 0;
        while (!notices_.empty() && n < budget) {
            fn(notices_.front());
            notices_.pop_front();
            ++n;
        }
        return n;
    }

    send_result send(std::uint16_t port, std::span<const std::uint8_t> frame) override {
        sent.push_back({port, std::vector<std::uint8_t>(frame.begin(), frame.end())});
        ++tx_.sent;
        return send_result::sent;
    }
    unsigned control_tx_pending() const override { return 0; }
    control_tx_counters control_tx() const override { return tx_; }

  private:
    struct punt {
        std::uint16_t port;
        pipeline::punt_kind kind;
        std::uint8_t slot;
        std::vector<std::uint8_t> bytes;
    };
    std::vector<port_info> ports_;
    std::vector<std::unique_ptr<worker_stats>> workers_;
    std::unique_ptr<const pipeline::snapshot> current_;
    std::deque<punt> punts_;
    std::deque<notice_view> notices_;
    control_tx_counters tx_;
    bool lb_ = true;
};

} // namespace vipgate::control::testing
