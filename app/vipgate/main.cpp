// vipgate: VRRP + NAT load balancing gateway on DPDK.
//
//   vipgate [EAL options] -- -c FILE [-i] [--control-socket PATH]
//                            [--log-level LEVEL] [--check-config]
//
// EAL options come first (as for testpmd); vipgate adds the --vdev / -a /
// --no-pci options its config implies, so ports are named once, in the
// config.

#include <rte_debug.h>
#include <rte_eal.h>
#include <rte_errno.h>

#include <boost/program_options.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <pthread.h>
#include <sched.h>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/keepalived.hpp"
#include "console/commands.hpp"
#include "console/control_socket.hpp"
#include "console/interactive.hpp"
#include "control/control_plane.hpp"
#include "dataplane/dataplane.hpp"
#include "dataplane/shell_impl.hpp"
#include "dataplane/telemetry.hpp"
#include "instance_lock.hpp"
#include "vipgate_version.h"

namespace po = boost::program_options;
using namespace vipgate;

namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};

extern "C" void on_signal(int) {
    g_stop.store(true);
}
extern "C" void on_hup(int) {
    g_reload.store(true);
}

constexpr const char* default_socket = "/run/vipgate/vipgate.sock";

void usage(std::ostream& os, const po::options_description& opts) {
    os << "Usage: vipgate [EAL options] -- -c FILE [options]\n"
          "\n"
          "vipgate shares virtual IPs with VRRP (v2/v3, keepalived-compatible) and\n"
          "answers ARP and ICMP echo for its port addresses and, as VRRP master,\n"
          "for its VIPs. NAT load balancing is not implemented yet (README.md).\n"
          "\n"
          "EAL options (before --) are DPDK's: -l/--lcores (the first lcore is the\n"
          "control core, every other one a worker), --no-huge -m MB, --file-prefix,\n"
          "... Ports come from the config: vipgate adds --vdev for virtual devices,\n"
          "-a for PCI ports, and --no-pci when the config names no PCI port.\n"
          "Without --, every argument is a vipgate option and EAL runs with defaults.\n"
          "\n"
       << opts
       << "\n"
          "Examples:\n"
          "  vipgate -l 0-1 --no-huge -m 512 -- -c conf/demo.yaml -i\n"
          "  vipgate --check-config -c /etc/vipgate/vipgate.yaml\n"
          "  vipgate -l 0-1 -- -c ports.yaml --keepalived-conf /etc/keepalived/keepalived.conf\n";
}

spdlog::level::level_enum parse_level(const std::string& s, bool& ok) {
    ok = true;
    if (s == "trace") {
        return spdlog::level::trace;
    }
    if (s == "debug") {
        return spdlog::level::debug;
    }
    if (s == "info") {
        return spdlog::level::info;
    }
    if (s == "warn" || s == "warning") {
        return spdlog::level::warn;
    }
    if (s == "error") {
        return spdlog::level::err;
    }
    if (s == "critical") {
        return spdlog::level::critical;
    }
    if (s == "off") {
        return spdlog::level::off;
    }
    ok = false;
    return spdlog::level::info;
}

} // namespace

int main(int argc, char** argv) {
    // Split at the first "--": EAL's arguments before, ours after.
    std::vector<std::string> eal_user, ours;
    int split = -1;
    for (int i = 1; i < argc; ++i) {
        if (std::string(argv[i]) == "--") {
            split = i;
            break;
        }
    }
    for (int i = 1; i < argc; ++i) {
        if (split < 0 || i > split) {
            ours.emplace_back(argv[i]);
        } else if (i < split) {
            eal_user.emplace_back(argv[i]);
        }
    }

    std::string config_file, keepalived_conf, socket_path = default_socket, log_level = "info";
    bool interactive = false, check_only = false;
    po::options_description opts("vipgate options (after --)");
    opts.add_options()                                                              //
        ("help,h", "print this help and exit")                                      //
        ("version,V", "print the version and exit")                                 //
        ("config,c", po::value(&config_file), "YAML configuration file (required)") //
        ("keepalived-conf", po::value(&keepalived_conf),
         "import vrrp_instance / vrrp_sync_group / global_defs from a keepalived.conf; "
         "its interface names are port names of the YAML file") //
        ("interactive,i", po::bool_switch(&interactive),
         "start the interactive console (prompt 'vipgate> ')") //
        ("control-socket", po::value(&socket_path)->default_value(default_socket),
         "Unix socket for vipgatectl (mode 0600); 'none' disables it") //
        ("log-level", po::value(&log_level)->default_value("info"),
         "trace, debug, info, warn, error, critical or off") //
        ("check-config", po::bool_switch(&check_only),
         "validate the configuration, print a summary and exit (non-zero on errors)");
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(ours).options(opts).run(), vm);
        po::notify(vm);
    } catch (const std::exception& e) {
        std::cerr << "vipgate: " << e.what() << "\n(try 'vipgate --help')\n";
        return 2;
    }
    if (vm.count("help")) {
        usage(std::cout, opts);
        return 0;
    }
    if (vm.count("version")) {
        std::cout << "vipgate " << VIPGATE_VERSION << "\n";
        return 0;
    }

    auto logger = spdlog::stderr_color_mt("vipgate");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
    bool level_ok = false;
    spdlog::set_level(parse_level(log_level, level_ok));
    if (!level_ok) {
        std::cerr << "vipgate: --log-level '" << log_level
                  << "' is not one of trace, debug, info, warn, error, critical, off\n";
        return 2;
    }
    if (config_file.empty()) {
        std::cerr << "vipgate: no configuration: give -c FILE (try 'vipgate --help')\n";
        return 2;
    }

    auto cfg = config::load_file(config_file);
    if (cfg && !keepalived_conf.empty()) {
        cfg = config::import_keepalived(keepalived_conf, std::move(cfg.value()));
    }
    if (!cfg) {
        std::cerr << cfg.message();
        if (!cfg.message().empty() && cfg.message().back() != '\n') {
            std::cerr << "\n";
        }
        std::cerr << "vipgate: configuration "
                  << (keepalived_conf.empty() ? config_file : config_file + " + " + keepalived_conf)
                  << " is not valid\n";
        return 2;
    }
    for (const auto& w : cfg->warnings) {
        std::cerr << "warning: " << w << "\n";
    }
    if (check_only) {
        std::cout << config_file << ": OK: " << cfg->ports.size() << " port(s), "
                  << cfg->vrrp_instances.size() << " VRRP instance(s), "
                  << cfg->vrrp_sync_groups.size() << " sync group(s), " << cfg->warnings.size()
                  << " warning(s)";
        for (const auto& p : cfg->ports) {
            std::cout << "\n  port " << p.name << " " << p.address.to_string() << " on "
                      << p.device;
        }
        for (const auto& v : cfg->vrrp_instances) {
            std::cout << "\n  vrrp " << v.vrrp.name << " on " << v.port << ": VRID "
                      << unsigned{v.vrrp.vrid} << ", v" << unsigned{v.vrrp.version} << ", VIPs";
            for (const auto& a : v.vrrp.virtual_addresses) {
                std::cout << " " << a.to_string();
            }
        }
        std::cout << "\n";
        return 0;
    }

    // One vipgate per interface, PCI device and EAL file prefix.
    app::instance_locks locks;
    if (auto r = locks.acquire(*cfg, app::file_prefix_of(eal_user)); !r) {
        std::cerr << "vipgate: " << r.message() << "\n";
        return 1;
    }

    // EAL: the operator's arguments plus the devices the config names.
    std::vector<std::string> eal = {argv[0]};
    eal.insert(eal.end(), eal_user.begin(), eal_user.end());
    for (auto& a : dataplane::dataplane::eal_args_for(*cfg, eal_user)) {
        eal.push_back(std::move(a));
    }
    std::string eal_line;
    for (std::size_t i = 1; i < eal.size(); ++i) {
        eal_line += (i > 1 ? " " : "") + eal[i];
    }
    spdlog::info("vipgate {} starting; config {}; EAL: {}", VIPGATE_VERSION, config_file, eal_line);
    std::vector<char*> eal_argv;
    for (auto& a : eal) {
        eal_argv.push_back(a.data());
    }
    eal_argv.push_back(nullptr);
    int eal_argc = static_cast<int>(eal.size());
    if (rte_eal_init(eal_argc, eal_argv.data()) < 0) {
        rte_exit(EXIT_FAILURE, "EAL initialisation failed: %s\n", rte_strerror(rte_errno));
    }

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::signal(SIGPIPE, SIG_IGN);
    std::signal(SIGHUP, on_hup); // reload, like keepalived

    int rc = 0;
    {
        auto dp = dataplane::dataplane::create(*cfg);
        if (!dp) {
            spdlog::error("{}", dp.message());
            rte_eal_cleanup();
            return 1;
        }
        if (auto r = (*dp)->start(); !r) {
            spdlog::error("{}", r.message());
            (*dp)->stop();
            rte_eal_cleanup();
            return 1;
        }
        // The control plane (and the shell it talks to) is deliberately
        // leaked: DPDK's telemetry thread may still hold a pointer to it
        // while EAL shuts down.
        auto* cp = new control::control_plane(*cfg, *new dataplane::shell_impl(**dp));
        cp->config_loader = [config_file, keepalived_conf]() -> result<config::config> {
            auto c = config::load_file(config_file);
            if (c && !keepalived_conf.empty()) {
                c = config::import_keepalived(keepalived_conf, std::move(c.value()));
            }
            return c;
        };
        // Configuration warnings were printed at load time; init() would repeat them.
        if (auto r = cp->init(nullptr); !r) {
            spdlog::error("{}", r.message());
            (*dp)->stop();
            rte_eal_cleanup();
            return 1;
        }
        console::engine eng;
        console::register_commands(eng, *cp);
        console::control_socket sock(*cp, eng);
        if (socket_path != "none") {
            if (auto r = sock.open(socket_path); !r) {
                spdlog::error("control socket: {}", r.message());
                (*dp)->stop();
                rte_eal_cleanup();
                return 1;
            }
        }
        dataplane::register_telemetry(cp);
        console::interactive con(*cp, eng);
        if (interactive) {
            if (auto r = con.start(); !r) {
                spdlog::error("{}", r.message());
            }
        }
        spdlog::info("vipgate running: {} port(s), {} worker(s){}", (*dp)->ports().size(),
                     (*dp)->worker_count(), interactive ? "; type 'help' for commands" : "");

        // Only this thread (the control core) becomes real-time: the
        // console and telemetry threads started above stay as they are.
        if (cfg->dataplane.control_rt_priority > 0) {
            sched_param sp{};
            sp.sched_priority = static_cast<int>(cfg->dataplane.control_rt_priority);
            if (int e = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp); e != 0) {
                spdlog::warn("control core stays at normal scheduling: SCHED_FIFO priority {} "
                             "refused ({}); adverts may leave late on a busy machine",
                             sp.sched_priority, std::strerror(e));
            } else {
                spdlog::info("control core runs at SCHED_FIFO priority {}", sp.sched_priority);
            }
        }

        rc = cp->run(&g_stop, &g_reload);

        con.stop();
        dataplane::unregister_telemetry();
        sock.close();
        cp->shutdown_protocols();
        (*dp)->stop();
        // Final counters, as testpmd prints its forward statistics.
        std::string final_report = eng.execute("show lcores").text + eng.execute("show stats").text;
        std::fputs("---- final counters ----\n", stdout);
        std::fputs(final_report.c_str(), stdout);
        std::fflush(stdout);
        spdlog::info("vipgate stopped ({})", cp->stop_reason());
    }
    rte_eal_cleanup();
    return rc;
}
