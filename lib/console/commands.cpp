#include "console/commands.hpp"

#include <cstdio>

#include "pipeline/drop_reason.hpp"

namespace vipgate::console {

reply render(const json& report, bool as_json, const std::string& title) {
    if (as_json)
        return reply::success(report.dump(2) + "\n");
    std::string out = title.empty() ? "" : title + "\n";
    if (report.is_array())
        out += render_table(report);
    else
        out += render_kv(report);
    return reply::success(out);
}

namespace {

std::string fmt_rate(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

// testpmd-like block per port.
std::string port_stats_text(const json& rows) {
    std::string out;
    for (const auto& r : rows.as_array()) {
        char buf[512];
        std::snprintf(buf, sizeof buf,
                      "  ######################## NIC statistics for port %-3s (%s) ########################\n"
                      "  RX-packets: %-12llu RX-missed: %-12llu RX-bytes:  %llu\n"
                      "  RX-errors:  %-12llu RX-nombuf: %llu\n"
                      "  TX-packets: %-12llu TX-errors: %-12llu TX-bytes:  %llu\n",
                      r["port_id"].to_text().c_str(), r["name"].to_text().c_str(),
                      static_cast<unsigned long long>(r["rx_packets"].as_uint()),
                      static_cast<unsigned long long>(r["rx_missed"].as_uint()),
                      static_cast<unsigned long long>(r["rx_bytes"].as_uint()),
                      static_cast<unsigned long long>(r["rx_errors"].as_uint()),
                      static_cast<unsigned long long>(r["rx_nombuf"].as_uint()),
                      static_cast<unsigned long long>(r["tx_packets"].as_uint()),
                      static_cast<unsigned long long>(r["tx_errors"].as_uint()),
                      static_cast<unsigned long long>(r["tx_bytes"].as_uint()));
        out += buf;
    }
    return out;
}

std::string stats_text(const json& s) {
    std::string out = "Drops by reason (all workers, since clear " + s["since_s"].to_text() + " s ago):\n";
    std::size_t w = 0;
    for (const auto& [k, v] : s["drops"].as_object())
        w = std::max(w, k.size());
    for (std::size_t r = 1; r < pipeline::drop_reason_count; ++r) {
        auto reason = static_cast<pipeline::drop_reason>(r);
        std::string name = pipeline::drop_reason_name(reason);
        const json* v = s["drops"].find(name);
        std::string num = v ? v->to_text() : "0";
        out += "  " + name + std::string(w - name.size() + 2, ' ');
        out += std::string(num.size() < 12 ? 12 - num.size() : 0, ' ') + num + "  " +
               pipeline::drop_reason_help(reason) + "\n";
    }
    out += "  total" + std::string(w - 5 + 2, ' ');
    std::string tot = s["drops_total"].to_text();
    out += std::string(tot.size() < 12 ? 12 - tot.size() : 0, ' ') + tot + "\n";
    out += "Control core:\n" + render_kv(s["control"]);
    out += "Neighbours:\n" + render_kv(s["neighbours"]);
    return out;
}

} // namespace

void register_commands(engine& e, control::control_plane& cp) {
    engine* eng = &e;
    e.add("help", "list the commands", [eng](const args&) {
        return reply::success(eng->help_text() +
                              "Every show command accepts a trailing 'json' for scripts.\n");
    });
    e.add("show ports [json]", "ports: device, driver, MAC, address, link",
          [&cp](const args& a) { return render(cp.report_ports(), a.json); });
    e.add("show port stats all [json]", "per-port packet and byte counters (DPDK ethdev)",
          [&cp](const args& a) {
              json r = cp.report_port_stats();
              if (a.json)
                  return render(r, true);
              return reply::success(port_stats_text(r));
          });
    e.add("show lcores [json]", "per-worker rx/tx/replies/punts/drops and busy share",
          [&cp](const args& a) {
              json r = cp.report_lcores();
              if (!a.json)
                  for (auto& row : r.as_array())
                      row.set("busy_pct", fmt_rate(row["busy_pct"].as_double()));
              return render(r, a.json);
          });
    e.add("show stats [json]", "every drop reason, control-core and neighbour counters",
          [&cp](const args& a) {
              json r = cp.report_stats();
              if (a.json)
                  return render(r, true);
              return reply::success(stats_text(r));
          });
    e.add("show arp [json]", "the neighbour table",
          [&cp](const args& a) { return render(cp.report_arp(), a.json); });
    e.add("show info [json]", "uptime, ports, workers, config file",
          [&cp](const args& a) { return render(cp.report_summary(), a.json); });
    e.add("arp resolve <address>", "resolve an IPv4 address on the port whose subnet holds it",
          [&cp](const args& a) {
              auto ip = net::ipv4_addr::parse(a["address"]);
              if (!ip)
                  return reply::failure("error: '" + a["address"] + "' is not an IPv4 address\n");
              auto r = cp.resolve(*ip);
              if (!r)
                  return reply::failure("error: " + r.message() + "\n");
              return reply::success("resolving " + ip->to_string() + "\n");
          },
          {{"address", "IPv4 address"}});
    e.add("clear stats", "restart every counter shown by show stats/lcores/port stats from zero",
          [&cp](const args&) {
              cp.clear_stats();
              return reply::success("statistics cleared\n");
          });
    e.add("quit", "end this session (on the interactive console: stop vipgate)", [](const args&) {
        reply r = reply::success("");
        r.quit = true;
        return r;
    });
}

} // namespace vipgate::console
