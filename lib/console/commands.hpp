#pragma once
// vipgate's commands, bound to the control plane. The same engine serves the
// interactive console (-i), the control socket and the tests.

#include "console/engine.hpp"
#include "control/control_plane.hpp"

namespace vipgate::console {

// Fill `e` with every command. `interactive`: `quit` stops vipgate (the
// console owns the process) rather than ending a socket session.
void register_commands(engine& e, control::control_plane& cp);

// Render a report as the human table of the given command, or as JSON.
reply render(const json& report, bool as_json, const std::string& title = {});

} // namespace vipgate::console
