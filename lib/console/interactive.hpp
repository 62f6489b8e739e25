#pragma once
// The interactive console (-i): DPDK's cmdline library, as testpmd uses it,
// for line editing, history and completion (TAB) and help ('?'), fed from the
// control core's event loop so it never blocks timers. Every command is
// generated from the shared engine, so the console and the control socket
// can never disagree.

#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "console/engine.hpp"
#include "control/control_plane.hpp"

struct cmdline;
struct cmdline_inst;
struct cmdline_token_string;
namespace vipgate::console {
struct arg_token;
}

namespace vipgate::console {

class interactive {
  public:
    interactive(control::control_plane& cp, const engine& e);
    ~interactive();

    result<void> start(const std::string& prompt = "vipgate> ");
    void stop();

    struct inst_data; // per generated cmdline instruction
    void dispatch(cmdline* cl, const std::vector<std::string>& words);

  private:
    void on_input();
    void build_context();

    control::control_plane& cp_;
    const engine& engine_;
    cmdline* cl_ = nullptr;
    std::vector<cmdline_inst*> ctx_; // NULL-terminated list of instructions
    std::vector<std::unique_ptr<cmdline_token_string>> tokens_;
    std::vector<std::unique_ptr<arg_token>> args_;
    std::vector<std::unique_ptr<std::string>> strings_;
    std::vector<std::unique_ptr<inst_data>> data_;
    bool eof_ = false;
};

} // namespace vipgate::console
