#include "console/commands.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <optional>

#include "common/text_table.hpp"

#include "pipeline/drop_reason.hpp"

namespace vipgate::console {

reply render(const json& report, bool as_json, const std::string& title) {
    if (as_json) {
        return reply::success(dump_json(report, 2) + "\n");
    }
    std::string out = title.empty() ? "" : title + "\n";
    if (report.is_array()) {
        out += render_table(report);
    } else {
        out += render_kv(report);
    }
    return reply::success(out);
}

namespace {

std::string fmt_rate(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

// A report's table: each column's name and how a row fills its cell.
template <typename Row>
struct column {
    const char* name;
    std::string (*cell)(const Row&);
};

template <typename Row>
std::string table(const std::vector<column<Row>>& columns, const std::vector<Row>& rows) {
    text_row names;
    for (const auto& c : columns) {
        names.emplace_back(c.name);
    }
    std::vector<text_row> cells;
    for (const auto& r : rows) {
        text_row line;
        for (const auto& c : columns) {
            line.push_back(c.cell(r));
        }
        cells.push_back(std::move(line));
    }
    return render_text_table(names, cells);
}

template <typename T>
std::string num(T v) {
    return std::to_string(v);
}

// The report's columns in the order of its JSON keys (the table has always
// shown every key).
const std::vector<column<control::port_row>> port_columns = {
    {"name", [](const control::port_row& r) { return r.name; }},
    {"port_id", [](const control::port_row& r) { return num(r.port_id); }},
    {"device", [](const control::port_row& r) { return r.device; }},
    {"driver", [](const control::port_row& r) { return r.driver; }},
    {"mac", [](const control::port_row& r) { return r.mac.to_string(); }},
    {"address", [](const control::port_row& r) { return r.address.to_string(); }},
    {"link", [](const control::port_row& r) { return std::string(r.link_up ? "up" : "down"); }},
    {"speed_mbps", [](const control::port_row& r) { return num(r.speed_mbps); }},
    {"queues", [](const control::port_row& r) { return num(r.queues); }},
    {"control_tx", [](const control::port_row& r) { return control::control_tx_text(r); }},
    {"steering", [](const control::port_row& r) { return control::steering_text(r.steering); }},
};

const std::vector<column<control::arp_row>> arp_columns = {
    {"address", [](const control::arp_row& r) { return r.address.to_string(); }},
    {"mac", [](const control::arp_row& r) { return r.mac ? r.mac->to_string() : "-"; }},
    {"port", [](const control::arp_row& r) { return r.port; }},
    {"state", [](const control::arp_row& r) { return std::string(neigh::state_name(r.state)); }},
    {"age_s", [](const control::arp_row& r) { return r.age ? num(r.age->count()) : "-"; }},
    {"probes", [](const control::arp_row& r) { return num(r.probes); }},
};

const std::vector<column<control::health_row>> health_columns = {
    {"virtual_server", [](const control::health_row& r) { return r.virtual_server; }},
    {"real_server",
     [](const control::health_row& r) { return control::endpoint_text(r.rs_address, r.rs_port); }},
    {"checker", [](const control::health_row& r) { return r.checker; }},
    {"state", [](const control::health_row& r) { return std::string(r.up ? "UP" : "DOWN"); }},
    {"reason", [](const control::health_row& r) { return r.reason; }},
    {"probes", [](const control::health_row& r) { return num(r.probes); }},
    {"successes", [](const control::health_row& r) { return num(r.successes); }},
    {"timeouts", [](const control::health_row& r) { return num(r.timeouts); }},
    {"refused", [](const control::health_row& r) { return num(r.refused); }},
    {"no_route", [](const control::health_row& r) { return num(r.no_route); }},
};

// Seconds as JSON prints them ("%.6g"), so table and JSON agree.
std::string seconds_text(std::chrono::milliseconds ms) {
    return to_text(json(static_cast<double>(ms.count()) / 1000.0));
}

const std::vector<column<control::flow_row>> flow_columns = {
    {"protocol",
     [](const control::flow_row& r) { return std::string(lb::protocol_name(r.protocol)); }},
    {"client",
     [](const control::flow_row& r) { return control::endpoint_text(r.client, r.client_port); }},
    {"virtual", [](const control::flow_row& r) { return control::endpoint_text(r.vip, r.vport); }},
    {"real_server",
     [](const control::flow_row& r) { return control::endpoint_text(r.rs, r.rs_port); }},
    {"state", [](const control::flow_row& r) { return std::string(lb::flow_state_name(r.state)); }},
    {"expires_s", [](const control::flow_row& r) { return seconds_text(r.expires_in); }},
};

std::string info_text(const control::summary_report& s) {
    return render_text_kv({{"uptime_s", num(s.uptime.count())},
                           {"ports", num(s.ports)},
                           {"workers", num(s.workers)},
                           {"config", s.config}});
}

// A typed report: its JSON, or the given human text.
template <typename Report, typename Text>
reply typed(const Report& r, bool as_json, Text text) {
    if (as_json) {
        return render(control::to_json(r), true);
    }
    return reply::success(text(r));
}

// testpmd-like block per port.
std::string port_stats_text(const std::vector<control::port_stats_row>& rows) {
    std::string out;
    for (const auto& r : rows) {
        char buf[512];
        std::snprintf(buf, sizeof buf,
                      "  ######################## NIC statistics for port %-3u (%s) "
                      "########################\n"
                      "  RX-packets: %-12llu RX-missed: %-12llu RX-bytes:  %llu\n"
                      "  RX-errors:  %-12llu RX-nombuf: %llu\n"
                      "  TX-packets: %-12llu TX-errors: %-12llu TX-bytes:  %llu\n",
                      r.port_id, r.name.c_str(), static_cast<unsigned long long>(r.rx_packets),
                      static_cast<unsigned long long>(r.rx_missed),
                      static_cast<unsigned long long>(r.rx_bytes),
                      static_cast<unsigned long long>(r.rx_errors),
                      static_cast<unsigned long long>(r.rx_nombuf),
                      static_cast<unsigned long long>(r.tx_packets),
                      static_cast<unsigned long long>(r.tx_errors),
                      static_cast<unsigned long long>(r.tx_bytes));
        out += buf;
    }
    return out;
}

std::string stats_text(const control::stats_report& s) {
    std::string out =
        "Drops by reason (all workers, since clear " + std::to_string(s.since_s) + " s ago):\n";
    std::size_t w = 0;
    for (const auto& [name, v] : s.drops) {
        w = std::max(w, name.size());
    }
    for (std::size_t r = 1; r < pipeline::drop_reason_count; ++r) {
        auto reason = static_cast<pipeline::drop_reason>(r);
        std::string name = pipeline::drop_reason_name(reason);
        auto it = std::find_if(s.drops.begin(), s.drops.end(),
                               [&](const auto& d) { return d.first == name; });
        std::string num = it != s.drops.end() ? std::to_string(it->second) : "0";
        out += "  " + name + std::string(w - name.size() + 2, ' ');
        out += std::string(num.size() < 12 ? 12 - num.size() : 0, ' ') + num + "  " +
               pipeline::drop_reason_help(reason) + "\n";
    }
    out += "  total" + std::string(w - 5 + 2, ' ');
    std::string tot = std::to_string(s.drops_total);
    out += std::string(tot.size() < 12 ? 12 - tot.size() : 0, ' ') + tot + "\n";
    out += "Control core:\n" + render_kv(control::to_json(s.control));
    out += "Neighbours:\n" + render_kv(control::to_json(s.neighbours));
    return out;
}

std::string vrrp_summary(const std::vector<control::vrrp_instance_row>& rows) {
    json t = json::array();
    for (const auto& r : rows) {
        json o = json::object();
        o["name"] = r.name;
        o["port"] = r.port;
        o["vrid"] = r.vrid;
        o["ver"] = r.version;
        o["state"] = r.state;
        o["prio"] = r.effective_priority;
        o["master"] = r.master_address;
        o["adv_int"] = fmt_rate(r.master_adver_interval_s * 1000) + "ms";
        o["down_in"] = r.time_to_master_down_s ? fmt_rate(*r.time_to_master_down_s * 1000) + "ms"
                                               : std::string("-");
        o["sent"] = r.counters.adverts_sent;
        o["rcvd"] = r.counters.adverts_received;
        o["rejected"] = r.rejected_total;
        std::string vips;
        for (const auto& v : r.virtual_addresses) {
            vips += (vips.empty() ? "" : ",") + v;
        }
        o["vips"] = vips;
        t.push_back(std::move(o));
    }
    return render_table(t);
}

std::string vrrp_detail(const control::vrrp_instance_row& r) {
    // Every scalar and list of the serialised row as "key: value" (floats
    // in ms); the nested parts below from the row itself.
    const json row = control::to_json(r);
    json kv = json::object();
    for (const auto& [k, v] : row.items()) {
        if (k == "rejected" || k == "transitions" || k == "last_rejected") {
            continue;
        }
        if (v.is_array()) {
            std::string list;
            for (const auto& e : v) {
                if (!list.empty()) {
                    list += ' ';
                }
                list += to_text(e);
            }
            kv[k] = list.empty() ? std::string("-") : list;
        } else if (v.is_number_float()) {
            kv[k] = fmt_rate(v.get<double>() * 1000) + " ms";
        } else {
            kv[k] = v;
        }
    }
    std::string out = render_kv(kv);
    out += "rejected by reason:\n";
    for (const auto& [reason, n] : r.rejected) {
        if (n != 0) {
            out += "  " + reason + ": " + std::to_string(n) + "\n";
        }
    }
    if (r.last_rejected) {
        out +=
            "last rejected: " + r.last_rejected->reason + " from " + r.last_rejected->source + "\n";
    }
    out += "transitions (oldest first):\n";
    for (const auto& t : r.transitions) {
        out +=
            "  " + fmt_rate(t.ago_s) + " s ago: " + t.from + " -> " + t.to + ": " + t.reason + "\n";
    }
    return out;
}

// ipvsadm -Ln --stats, roughly.
std::string virtual_servers_text(const std::vector<control::virtual_server_row>& rows) {
    std::string out;
    char buf[256];
    std::snprintf(buf, sizeof buf, "%-5s %-24s %-10s %8s %8s %12s %14s\n", "Prot",
                  "LocalAddress:Port", "Scheduler", "ActConn", "InActCon", "Packets", "Bytes");
    out += buf;
    std::snprintf(buf, sizeof buf, "  %-27s %-7s %6s %-9s %8s %8s %12s %14s  %s\n",
                  "-> RemoteAddress:Port", "Forward", "Weight", "State", "ActConn", "InActCon",
                  "Packets", "Bytes", "Health");
    out += buf;
    for (const auto& s : rows) {
        std::string local = s.address + ":" + std::to_string(s.port);
        std::string sched = s.scheduler;
        if (s.persistence_timeout_s != 0) {
            sched += " persistent " + std::to_string(s.persistence_timeout_s);
        }
        std::string proto = s.protocol;
        for (auto& ch : proto) {
            ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        }
        std::snprintf(
            buf, sizeof buf, "%-5s %-24s %-10s %8llu %8llu %12llu %14llu\n", proto.c_str(),
            local.c_str(), sched.c_str(), static_cast<unsigned long long>(s.active_conns),
            static_cast<unsigned long long>(s.inactive_conns),
            static_cast<unsigned long long>(s.packets), static_cast<unsigned long long>(s.bytes));
        out += buf;
        // keepalived's quorum (keepalived.conf virtual_server quorum / hysteresis).
        out += "  quorum " + s.quorum_state + ": live weight " + std::to_string(s.live_weight) +
               ", quorum " + std::to_string(s.quorum) + ", hysteresis " +
               std::to_string(s.hysteresis) + ", transitions " +
               std::to_string(s.quorum_transitions) + "\n";
        for (const auto& r : s.real_servers) {
            std::string remote = r.address + ":" + std::to_string(r.port);
            std::snprintf(
                buf, sizeof buf, "  -> %-24s %-7s %6s %-9s %8llu %8llu %12llu %14llu  %s\n",
                remote.c_str(), r.forward.c_str(), std::to_string(r.effective_weight).c_str(),
                r.state.c_str(), static_cast<unsigned long long>(r.active_conns),
                static_cast<unsigned long long>(r.inactive_conns),
                static_cast<unsigned long long>(r.packets),
                static_cast<unsigned long long>(r.bytes), r.health.c_str());
            out += buf;
        }
    }
    return out;
}

// The one number parser of the console: an optional sign, then decimal digits
// only (no spaces, no suffix), within [min, max]. std::nullopt otherwise.
std::optional<std::int64_t> parse_number(const std::string& text, std::int64_t min,
                                         std::int64_t max) {
    std::size_t i = 0;
    bool negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
        negative = text[i] == '-';
        ++i;
    }
    if (i == text.size() || text.size() - i > 18) {
        return std::nullopt;
    }
    std::int64_t v = 0;
    for (; i < text.size(); ++i) {
        if (text[i] < '0' || text[i] > '9') {
            return std::nullopt;
        }
        v = v * 10 + (text[i] - '0');
    }
    if (negative) {
        v = -v;
    }
    if (v < min || v > max) {
        return std::nullopt;
    }
    return v;
}

reply failed(const std::string& message) {
    return reply::failure("error: " + message + "\n");
}

// What every operator command that changes something answers: the error, or
// `done` on success.
template <typename T>
reply outcome(const result<T>& r, std::string done) {
    if (!r) {
        return failed(r.message());
    }
    return reply::success(std::move(done));
}

using control::control_plane;

// ---- show ----

reply show_ports(control_plane& cp, const args& a) {
    return typed(cp.ports(), a.json, [](const auto& r) { return table(port_columns, r); });
}

reply show_port_stats(control_plane& cp, const args& a) {
    auto rows = cp.port_stats();
    if (a.json) {
        return render(control::to_json(rows), true);
    }
    return reply::success(port_stats_text(rows));
}

reply show_lcores(control_plane& cp, const args& a) {
    auto rows = cp.lcores();
    json r = control::to_json(rows);
    if (!a.json) {
        // The table shows one decimal.
        for (std::size_t i = 0; i < rows.size(); ++i) {
            r[i]["busy_pct"] = fmt_rate(rows[i].busy_pct);
        }
    }
    return render(r, a.json);
}

reply show_stats(control_plane& cp, const args& a) {
    auto st = cp.stats();
    if (a.json) {
        return render(control::to_json(st), true);
    }
    return reply::success(stats_text(st));
}

reply show_arp(control_plane& cp, const args& a) {
    return typed(cp.arp(), a.json, [](const auto& r) { return table(arp_columns, r); });
}

reply show_info(control_plane& cp, const args& a) {
    return typed(cp.info(), a.json, info_text);
}

reply show_vrrp(control_plane& cp, const args& a) {
    auto rows = cp.vrrp_instances();
    if (a.json) {
        return render(control::to_json(rows), true);
    }
    return reply::success(vrrp_summary(rows));
}

reply show_vrrp_one(control_plane& cp, const args& a) {
    auto rows = cp.vrrp_instances(a["name"]);
    if (rows.empty()) {
        return failed("no vrrp instance named '" + a["name"] + "'");
    }
    if (a.json) {
        return render(control::to_json(rows[0]), true);
    }
    return reply::success(vrrp_detail(rows[0]));
}

reply show_virtual_servers(control_plane& cp, const args& a) {
    auto rows = cp.virtual_servers();
    if (a.json) {
        return render(control::to_json(rows), true);
    }
    return reply::success(virtual_servers_text(rows));
}

reply show_health(control_plane& cp, const args& a) {
    return typed(cp.health_checks(), a.json,
                 [](const auto& r) { return table(health_columns, r); });
}

// `show sync`'s takeover gating line: which VRRP instance is gated (its
// state), whether a takeover now would be in sync, the start-up hold.
std::string takeover_gate_text(const control::sync_report& r) {
    std::string out = r.instance.empty()
                          ? "  every VRRP instance"
                          : "  VRRP instance " + r.instance + " (" +
                                (r.instance_state.empty() ? std::string("?") : r.instance_state) +
                                ")";
    out += std::string(": in sync for takeover: ") + (r.in_sync ? "yes" : "no");
    if (r.preemption_held) {
        out += "; preemption held until the bulk resync completes (at most " +
               std::to_string(r.resync_timeout_ms) + " ms)";
    }
    if (r.resync_timeouts != 0) {
        out +=
            "; the hold ended at resync_timeout " + std::to_string(r.resync_timeouts) + " time(s)";
    }
    return out + "\n";
}

// `show sync`: the node, then one block per peer, then counters that are
// not zero (all of them in JSON).
std::string sync_text(const control::sync_report& r) {
    if (!r.enabled) {
        return "flow-state sync: off (no sync section)\n";
    }
    std::string out = "flow-state sync: node " + net::ipv4_addr(r.node).to_string() + " on " +
                      r.port + ", " + r.mode + " udp " + std::to_string(r.udp_port) + ", sync id " +
                      std::to_string(r.sync_id) + ", epoch " + std::to_string(r.epoch) + "\n";
    out += std::string("  ") + (r.in_sync ? "in sync" : "NOT in sync") + " with its peers; " +
           std::to_string(r.unacked) + " messages unacked, " + std::to_string(r.queued) +
           " records queued" + (r.serving_bulk ? ", serving a bulk resync" : "") + "\n";
    out += takeover_gate_text(r);
    if (r.takeovers_not_in_sync != 0) {
        out += "  VRRP took over " + std::to_string(r.takeovers_not_in_sync) +
               " time(s) while not in sync\n";
    }
    for (const auto& p : r.peers) {
        out += "  peer " + p.address + ": " + p.state + " (" + p.reason + "), epoch " +
               std::to_string(p.epoch) + ", acked " + std::to_string(p.acked) + ", heard " +
               std::to_string(p.lag_ms) + " ms ago, " + std::to_string(p.records_received) +
               " records, " + std::to_string(p.gaps) + " gaps; bulk " +
               (p.bulk_running ? "running (" + std::to_string(p.bulk_received) + " records)"
                               : std::to_string(p.bulks_completed) + " done, last " +
                                     std::to_string(p.last_bulk_records) + " records in " +
                                     std::to_string(p.last_bulk_ms) + " ms") +
               "\n";
    }
    const auto line = [&out](const char* title, const control::named_counters& nc, bool all) {
        std::string l;
        for (const auto& [k, v] : nc) {
            if (all || v != 0) {
                l += " " + k + "=" + std::to_string(v);
            }
        }
        if (!l.empty()) {
            out += std::string("  ") + title + ":" + l + "\n";
        }
    };
    line("sent", r.sent, true);
    line("received", r.received, true);
    line("workers", r.workers, true);
    line("refused", r.refused, false);
    return out;
}

reply show_sync(control_plane& cp, const args& a) {
    auto r = cp.sync_status();
    if (a.json) {
        return render(control::to_json(r), true);
    }
    return reply::success(sync_text(r));
}

// `show scripts`: each vrrp_script's status and run counters, then the
// notify scripts' counters (control::script_manager::report()).
reply show_scripts(control_plane& cp, const args& a) {
    const json r = cp.report_scripts();
    if (a.json) {
        return render(r, true);
    }
    std::string out;
    if (r.contains("scripts")) {
        for (const auto& s : r["scripts"]) {
            out += "vrrp_script " + s.value("name", "") + ": " + s.value("status", "") + ", runs " +
                   std::to_string(s.value("runs", 0ull)) + ", failures " +
                   std::to_string(s.value("failures", 0ull)) + ", timeouts " +
                   std::to_string(s.value("timeouts", 0ull)) + ", skipped " +
                   std::to_string(s.value("skipped", 0ull)) + ", last: " + s.value("last", "") +
                   "\n";
        }
    }
    if (r.contains("notify")) {
        const auto& n = r["notify"];
        out += "notify: " + std::to_string(n.value("transitions", 0ull)) + " transitions, " +
               std::to_string(n.value("started", 0ull)) + " started, " +
               std::to_string(n.value("failed", 0ull)) + " failed, " +
               std::to_string(n.value("timed_out", 0ull)) + " timed out, " +
               std::to_string(n.value("dropped", 0ull)) + " dropped\n";
    }
    for (const auto& x : r.value("real_servers", json::array())) {
        out += "real server " + x.value("real_server", "") + " of " +
               x.value("virtual_server", "") + ": notify_up runs " +
               std::to_string(x.value("up_runs", 0ull)) + ", notify_down runs " +
               std::to_string(x.value("down_runs", 0ull)) + ", failed " +
               std::to_string(x.value("failed", 0ull)) + ", dropped " +
               std::to_string(x.value("dropped", 0ull)) + ", last: " + x.value("last", "") + "\n";
    }
    return reply::success(out.empty() ? "no scripts\n" : out);
}

// `show flows [<vip:port>] [limit <N>] [json]`: the optional words are
// absent from `a` when not typed.
reply show_flows(control_plane& cp, const args& a) {
    std::uint32_t n = 100;
    if (auto it = a.values.find("N"); it != a.values.end()) {
        auto v = parse_number(it->second, 1, 100000);
        if (!v) {
            return failed("limit '" + it->second + "' is not a number 1..100000");
        }
        n = static_cast<std::uint32_t>(*v);
    }
    std::string vs;
    if (auto it = a.values.find("vip:port"); it != a.values.end()) {
        vs = it->second;
        if (auto ep = control::parse_endpoint(vs, true); !ep) {
            return failed(ep.message());
        }
    }
    return typed(cp.flows(vs, n), a.json, [](const auto& r) { return table(flow_columns, r); });
}

// ---- VRRP ----

reply set_vrrp_priority(control_plane& cp, const args& a) {
    if (!cp.vrrp()) {
        return failed("no vrrp instances");
    }
    // The range (1..254) is the instance's rule: set_priority says it.
    auto n = parse_number(a["N"], INT32_MIN, INT32_MAX);
    if (!n) {
        return failed("priority '" + a["N"] + "' is not a number 1..254");
    }
    return outcome(cp.vrrp()->set_priority(cp.now(), a["name"], static_cast<int>(*n)),
                   a["name"] + ": priority " + a["N"] + "\n");
}

reply vrrp_resign(control_plane& cp, const args& a) {
    if (!cp.vrrp()) {
        return failed("no vrrp instances");
    }
    return outcome(cp.vrrp()->resign(cp.now(), a["name"]), a["name"] + ": resigned\n");
}

reply vrrp_resume(control_plane& cp, const args& a) {
    if (!cp.vrrp()) {
        return failed("no vrrp instances");
    }
    return outcome(cp.vrrp()->resume(cp.now(), a["name"]), a["name"] + ": resumed\n");
}

// ---- real servers ----

reply set_rs_weight(control_plane& cp, const args& a) {
    if (!cp.lb()) {
        return failed("no virtual servers configured");
    }
    auto w = parse_number(a["N"], 0, 2147483647);
    if (!w) {
        return failed("weight '" + a["N"] + "' is not 0..2147483647");
    }
    return outcome(cp.lb()->set_weight(a["vip:port"], a["rs:port"], static_cast<std::uint32_t>(*w)),
                   a["rs:port"] + ": weight " + a["N"] + "\n");
}

reply rs_enable(control_plane& cp, const args& a) {
    if (!cp.lb()) {
        return failed("no virtual servers configured");
    }
    bool en = a.words.back() == "enable";
    return outcome(cp.lb()->set_enabled(a["vip:port"], a["rs:port"], en),
                   a["rs:port"] + (en ? ": enabled\n" : ": disabled\n"));
}

// ---- neighbours, configuration, counters ----

reply arp_resolve(control_plane& cp, const args& a) {
    auto ip = net::ipv4_addr::parse(a["address"]);
    if (!ip) {
        return failed("'" + a["address"] + "' is not an IPv4 address");
    }
    return outcome(cp.resolve(*ip), "resolving " + ip->to_string() + "\n");
}

reply reload(control_plane& cp, const args&) {
    auto r = cp.reload_from_source();
    if (!r) {
        return failed(r.message());
    }
    return reply::success("reloaded: " + *r + "\n");
}

reply clear_stats(control_plane& cp, const args&) {
    cp.clear_stats();
    return reply::success("statistics cleared\n");
}

reply quit(control_plane&, const args&) {
    reply r = reply::success("");
    r.quit = true;
    return r;
}

// Every command but `help`: pattern, help line, handler, argument help.
struct command_row {
    const char* pattern;
    const char* help;
    reply (*fn)(control_plane&, const args&);
    std::map<std::string, std::string> arg_help;
};

const std::string vip_help = "virtual service, e.g. 10.0.0.100:80";

const command_row command_rows[] = {
    {"show ports [json]", "ports: device, driver, MAC, address, link, steering", show_ports, {}},
    {"show port stats all [json]",
     "per-port packet and byte counters (DPDK ethdev)",
     show_port_stats,
     {}},
    {"show lcores [json]", "per-worker rx/tx/replies/punts/drops and busy share", show_lcores, {}},
    {"show stats [json]", "every drop reason, control-core and neighbour counters", show_stats, {}},
    {"show arp [json]", "the neighbour table", show_arp, {}},
    {"show info [json]", "uptime, ports, workers, config file", show_info, {}},
    {"show vrrp [json]",
     "VRRP instances: state, priority, master, timers, counters",
     show_vrrp,
     {}},
    {"show vrrp <name> [json]",
     "one VRRP instance in full: rejections by reason, last transitions with reasons",
     show_vrrp_one,
     {{"name", "VRRP instance name"}}},
    {"set vrrp <name> priority <N>",
     "change an instance's priority (1..254)",
     set_vrrp_priority,
     {{"name", "VRRP instance name"}, {"N", "priority 1..254"}}},
    {"vrrp <name> resign",
     "a master sends priority 0 and becomes backup (until 'vrrp NAME resume')",
     vrrp_resign,
     {{"name", "VRRP instance name"}}},
    {"vrrp <name> resume",
     "undo 'resign': the instance may preempt again",
     vrrp_resume,
     {{"name", "VRRP instance name"}}},
    {"show virtual-servers [json]",
     "virtual services and real servers: weight, state, connections, packets, bytes "
     "(like ipvsadm -Ln --stats)",
     show_virtual_servers,
     {}},
    {"show health [json]",
     "health checks: state, last reason, probes and results per real server",
     show_health,
     {}},
    {"show flows [json]", "flows of every worker (at most 100)", show_flows, {}},
    {"show flows limit <N> [json]",
     "flows of every worker, at most N",
     show_flows,
     {{"N", "how many"}}},
    {"show flows <vip:port> [json]",
     "flows of one virtual service (at most 100)",
     show_flows,
     {{"vip:port", vip_help}}},
    {"show flows <vip:port> limit <N> [json]",
     "flows of one virtual service, at most N",
     show_flows,
     {{"vip:port", vip_help}, {"N", "how many"}}},
    {"show sync [json]",
     "flow-state sync: peers (bulk/in-sync/lost), epochs, ACKs, lag, records, refusals by reason",
     show_sync,
     {}},
    {"show scripts [json]",
     "vrrp_script status (OK/KO/unknown) and run counters; notify script counters",
     show_scripts,
     {}},
    {"set real-server <vip:port> <rs:port> weight <N>",
     "change a real server's weight (0 drains: no new flows, existing ones continue)",
     set_rs_weight,
     {{"vip:port", "virtual service"}, {"rs:port", "real server"}, {"N", "weight"}}},
    {"real-server <vip:port> <rs:port> enable|disable",
     "take a real server out of scheduling (disable) or back (enable)",
     rs_enable,
     {{"vip:port", "virtual service"}, {"rs:port", "real server"}}},
    {"arp resolve <address>",
     "resolve an IPv4 address on the port whose subnet holds it",
     arp_resolve,
     {{"address", "IPv4 address"}}},
    {"reload",
     "read the configuration again and apply it live (SIGHUP does the same); a bad one is "
     "refused and the running one stays",
     reload,
     {}},
    {"clear stats",
     "restart every counter shown by show stats/lcores/port stats from zero",
     clear_stats,
     {}},
    {"quit", "end this session (on the interactive console: stop vipgate)", quit, {}},
};

} // namespace

void register_commands(engine& e, control::control_plane& cp) {
    engine* eng = &e;
    e.add("help", "list the commands", [eng](const args&) {
        return reply::success(eng->help_text() +
                              "Every show command accepts a trailing 'json' for scripts.\n");
    });
    for (const auto& row : command_rows) {
        e.add(
            row.pattern, row.help, [&cp, fn = row.fn](const args& a) { return fn(cp, a); },
            row.arg_help);
    }
}

} // namespace vipgate::console
