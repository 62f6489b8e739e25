// vipgate: VRRP + NAT load balancing gateway on DPDK.
//
//   vipgate [EAL options] -- -c FILE [--keepalived-conf FILE] [-i]
//                            [--control-socket PATH] [--log-level LEVEL]
//                            [--check-config]
//
// EAL options come first (as for testpmd); vipgate adds the --vdev / -a /
// --no-pci options its config implies, so ports are named once, in the
// config.
//
// main() runs the phases in order: parse the arguments, set up logging, load
// the configuration (load_config(), also the reload loader), take the
// instance locks, initialise EAL, then run the gateway (dataplane, control
// plane, console and socket, the control loop, shutdown). EAL is cleaned up
// in one place, by eal_session, whichever phase ends the run.

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
#include <optional>
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

// ---- phase 1: arguments ------------------------------------------------------------------

struct options {
    std::string argv0;
    std::vector<std::string> eal_user; // the operator's EAL arguments (before --)
    std::string config_file;
    std::string keepalived_conf;
    std::string socket_path = default_socket;
    std::string log_level = "info";
    bool interactive = false;
    bool check_only = false;
};

void usage(std::ostream& os, const po::options_description& opts) {
    os << "Usage: vipgate [EAL options] -- -c FILE [options]\n"
          "\n"
          "vipgate shares virtual IPs with VRRP (v2/v3, keepalived-compatible),\n"
          "load-balances TCP and UDP services on those VIPs to real servers by NAT\n"
          "(schedulers rr, wrr, lc, wlc, sh, mh; TCP health checks), and answers ARP\n"
          "and ICMP echo for its port addresses and, as VRRP master, for its VIPs.\n"
          "\n"
          "EAL options (before --) are DPDK's: -l/--lcores (the first lcore is the\n"
          "control core, the others workers, as many as dataplane.workers asks),\n"
          "--no-huge -m MB, --file-prefix, ... Ports come from the config: vipgate\n"
          "adds --vdev for virtual devices, -a for PCI ports, and --no-pci when the\n"
          "config names no PCI port.\n"
          "Without --, every argument is a vipgate option and EAL runs with defaults.\n"
          "\n"
       << opts
       << "\n"
          "Examples:\n"
          "  vipgate -l 0-1 --no-huge -m 512 -- -c conf/demo.yaml -i\n"
          "  vipgate --check-config -c /etc/vipgate/vipgate.yaml\n"
          "  vipgate -l 0-1 -- -c ports.yaml --keepalived-conf /etc/keepalived/keepalived.conf\n";
}

// --keepalived-conf's help, from the importer's keyword tables.
std::string keepalived_conf_help() {
    return "import " + config::keepalived::imported_blocks() +
           " from a keepalived.conf, with keepalived's defaults; other keywords are warnings "
           "(--help-keepalived lists them all). Its interface names are port names of the YAML "
           "file, which supplies the ports and dataplane settings";
}

// Splits at the first "--": EAL's arguments before, ours after.
std::vector<std::string> split_args(int argc, char** argv, std::vector<std::string>& eal_user) {
    std::vector<std::string> ours;
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
    return ours;
}

// The options, or the exit code when there is nothing to run (help, version,
// a bad argument).
std::optional<int> parse_args(int argc, char** argv, options& o) {
    o.argv0 = argv[0];
    const std::vector<std::string> ours = split_args(argc, argv, o.eal_user);
    const std::string keepalived_help = keepalived_conf_help();
    po::options_description opts("vipgate options (after --)");
    opts.add_options()                                                                //
        ("help,h", "print this help and exit")                                        //
        ("version,V", "print the version and exit")                                   //
        ("config,c", po::value(&o.config_file), "YAML configuration file (required)") //
        ("keepalived-conf", po::value(&o.keepalived_conf), keepalived_help.c_str())   //
        ("help-keepalived",
         "print every keepalived.conf keyword --keepalived-conf knows, block by block, with "
         "what vipgate makes of it, and exit") //
        ("interactive,i", po::bool_switch(&o.interactive),
         "start the interactive console (prompt 'vipgate> ')") //
        ("control-socket", po::value(&o.socket_path)->default_value(default_socket),
         "Unix socket for vipgatectl (mode 0600); 'none' disables it") //
        ("log-level", po::value(&o.log_level)->default_value("info"),
         "trace, debug, info, warn, error, critical or off") //
        ("check-config", po::bool_switch(&o.check_only),
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
    if (vm.count("help-keepalived")) {
        std::cout << config::keepalived::keyword_reference();
        return 0;
    }
    if (vm.count("version")) {
        std::cout << "vipgate " << VIPGATE_VERSION << "\n";
        return 0;
    }
    return std::nullopt;
}

// ---- phase 2: logging ----------------------------------------------------------------------

std::optional<spdlog::level::level_enum> parse_level(const std::string& s) {
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
    return std::nullopt;
}

bool setup_logging(const options& o) {
    auto logger = spdlog::stderr_color_mt("vipgate");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
    const auto level = parse_level(o.log_level);
    spdlog::set_level(level.value_or(spdlog::level::info));
    if (!level) {
        std::cerr << "vipgate: --log-level '" << o.log_level
                  << "' is not one of trace, debug, info, warn, error, critical, off\n";
    }
    return level.has_value();
}

// ---- phase 3: configuration ------------------------------------------------------------------

// The YAML file, plus the keepalived.conf when one is given: at start and on
// every reload.
result<config::config> load_config(const std::string& config_file,
                                   const std::string& keepalived_conf) {
    auto cfg = config::load_file(config_file);
    if (cfg && !keepalived_conf.empty()) {
        cfg = config::import_keepalived(keepalived_conf, std::move(cfg.value()));
    }
    return cfg;
}

void print_summary(const options& o, const config::config& cfg) {
    std::cout << o.config_file << ": OK: " << cfg.ports.size() << " port(s), "
              << cfg.vrrp_instances.size() << " VRRP instance(s), " << cfg.vrrp_sync_groups.size()
              << " sync group(s), " << cfg.warnings.size() << " warning(s)";
    for (const auto& p : cfg.ports) {
        std::cout << "\n  port " << p.name << " " << p.address.to_string() << " on " << p.device;
    }
    for (const auto& v : cfg.vrrp_instances) {
        std::cout << "\n  vrrp " << v.vrrp.name << " on " << v.port << ": VRID "
                  << unsigned{v.vrrp.vrid} << ", v" << unsigned{v.vrrp.version} << ", VIPs";
        for (const auto& a : v.vrrp.virtual_addresses) {
            std::cout << " " << a.to_string();
        }
    }
    std::cout << "\n";
}

// The configuration with its warnings printed, or nullopt after printing why
// it is not valid.
std::optional<config::config> load_checked(const options& o) {
    auto cfg = load_config(o.config_file, o.keepalived_conf);
    if (!cfg) {
        std::cerr << cfg.message();
        if (!cfg.message().empty() && cfg.message().back() != '\n') {
            std::cerr << "\n";
        }
        std::cerr << "vipgate: configuration "
                  << (o.keepalived_conf.empty() ? o.config_file
                                                : o.config_file + " + " + o.keepalived_conf)
                  << " is not valid\n";
        return std::nullopt;
    }
    for (const auto& w : cfg->warnings) {
        std::cerr << "warning: " << w << "\n";
    }
    return std::move(cfg.value());
}

// ---- phase 4: EAL ------------------------------------------------------------------------------

// EAL from rte_eal_init to rte_eal_cleanup: constructed once the
// configuration is good, cleaned up whichever phase ends the run (after the
// dataplane, which the gateway phase destroys first).
class eal_session {
  public:
    // The operator's arguments plus the devices the config names; exits the
    // process when EAL refuses them (rte_exit, as every DPDK application).
    eal_session(const options& o, const config::config& cfg) {
        std::vector<std::string> eal = {o.argv0};
        eal.insert(eal.end(), o.eal_user.begin(), o.eal_user.end());
        for (auto& a : dataplane::dataplane::eal_args_for(cfg, o.eal_user)) {
            eal.push_back(std::move(a));
        }
        std::string eal_line;
        for (std::size_t i = 1; i < eal.size(); ++i) {
            eal_line += (i > 1 ? " " : "") + eal[i];
        }
        spdlog::info("vipgate {} starting; config {}; EAL: {}", VIPGATE_VERSION, o.config_file,
                     eal_line);
        std::vector<char*> eal_argv;
        for (auto& a : eal) {
            eal_argv.push_back(a.data());
        }
        eal_argv.push_back(nullptr);
        if (rte_eal_init(static_cast<int>(eal.size()), eal_argv.data()) < 0) {
            rte_exit(EXIT_FAILURE, "EAL initialisation failed: %s\n", rte_strerror(rte_errno));
        }
    }
    ~eal_session() { rte_eal_cleanup(); }
    eal_session(const eal_session&) = delete;
    eal_session& operator=(const eal_session&) = delete;
};

void install_signals() {
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::signal(SIGPIPE, SIG_IGN);
    std::signal(SIGHUP, on_hup); // reload, like keepalived
}

// ---- phase 5: the gateway ----------------------------------------------------------------------

// Only the calling thread (the control core) becomes real-time: the console
// and telemetry threads started before stay as they are.
void raise_control_priority(const config::config& cfg) {
    if (cfg.dataplane.control_rt_priority == 0) {
        return;
    }
    sched_param sp{};
    sp.sched_priority = static_cast<int>(cfg.dataplane.control_rt_priority);
    if (int e = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp); e != 0) {
        spdlog::warn("control core stays at normal scheduling: SCHED_FIFO priority {} "
                     "refused ({}); adverts may leave late on a busy machine",
                     sp.sched_priority, std::strerror(e));
    } else {
        spdlog::info("control core runs at SCHED_FIFO priority {}", sp.sched_priority);
    }
}

// The control plane, initialised, with the loader that reload uses. It (and
// the shell it talks to) is deliberately leaked: DPDK's telemetry thread may still hold a pointer
// to it while EAL shuts down.
control::control_plane* start_control_plane(const options& o, const config::config& cfg,
                                            dataplane::dataplane& dp) {
    auto* cp = new control::control_plane(cfg, *new dataplane::shell_impl(dp));
    cp->config_loader = [file = o.config_file, keepalived = o.keepalived_conf] {
        return load_config(file, keepalived);
    };
    // Configuration warnings were printed at load time; init() would repeat them.
    if (auto r = cp->init(nullptr); !r) {
        spdlog::error("{}", r.message());
        return nullptr;
    }
    return cp;
}

// Dataplane, control plane, console and socket; runs the control loop until
// a stop, then shuts down in order. The dataplane's destructor stops it on
// every early return.
int run_gateway(const options& o, const config::config& cfg) {
    auto dp = dataplane::dataplane::create(cfg);
    if (!dp) {
        spdlog::error("{}", dp.message());
        return 1;
    }
    if (auto r = (*dp)->start(); !r) {
        spdlog::error("{}", r.message());
        return 1;
    }
    control::control_plane* cp = start_control_plane(o, cfg, **dp);
    if (cp == nullptr) {
        return 1;
    }
    console::engine eng;
    console::register_commands(eng, *cp);
    console::control_socket sock(*cp, eng);
    if (o.socket_path != "none") {
        if (auto r = sock.open(o.socket_path); !r) {
            spdlog::error("control socket: {}", r.message());
            return 1;
        }
    }
    dataplane::register_telemetry(cp);
    console::interactive con(*cp, eng);
    if (o.interactive) {
        if (auto r = con.start(); !r) {
            spdlog::error("{}", r.message());
        }
    }
    spdlog::info("vipgate running: {} port(s), {} worker(s){}", (*dp)->ports().size(),
                 (*dp)->worker_count(), o.interactive ? "; type 'help' for commands" : "");
    raise_control_priority(cfg);

    const int rc = cp->run(&g_stop, &g_reload);

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
    return rc;
}

} // namespace

int main(int argc, char** argv) {
    options o;
    if (auto exit_code = parse_args(argc, argv, o)) {
        return *exit_code;
    }
    if (!setup_logging(o)) {
        return 2;
    }
    if (o.config_file.empty()) {
        std::cerr << "vipgate: no configuration: give -c FILE (try 'vipgate --help')\n";
        return 2;
    }
    const std::optional<config::config> cfg = load_checked(o);
    if (!cfg) {
        return 2;
    }
    if (o.check_only) {
        print_summary(o, *cfg);
        return 0;
    }
    // One vipgate per interface, PCI device and EAL file prefix.
    app::instance_locks locks;
    if (auto r = locks.acquire(*cfg, app::file_prefix_of(o.eal_user)); !r) {
        std::cerr << "vipgate: " << r.message() << "\n";
        return 1;
    }
    eal_session eal(o, *cfg);
    install_signals();
    return run_gateway(o, *cfg);
}
