#include "console/commands.hpp"

#include <cstdio>

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

// testpmd-like block per port.
std::string port_stats_text(const json& rows) {
    std::string out;
    for (const auto& r : rows) {
        char buf[512];
        std::snprintf(buf, sizeof buf,
                      "  ######################## NIC statistics for port %-3s (%s) "
                      "########################\n"
                      "  RX-packets: %-12llu RX-missed: %-12llu RX-bytes:  %llu\n"
                      "  RX-errors:  %-12llu RX-nombuf: %llu\n"
                      "  TX-packets: %-12llu TX-errors: %-12llu TX-bytes:  %llu\n",
                      to_text(r["port_id"]).c_str(), to_text(r["name"]).c_str(),
                      static_cast<unsigned long long>(r["rx_packets"].get<std::uint64_t>()),
                      static_cast<unsigned long long>(r["rx_missed"].get<std::uint64_t>()),
                      static_cast<unsigned long long>(r["rx_bytes"].get<std::uint64_t>()),
                      static_cast<unsigned long long>(r["rx_errors"].get<std::uint64_t>()),
                      static_cast<unsigned long long>(r["rx_nombuf"].get<std::uint64_t>()),
                      static_cast<unsigned long long>(r["tx_packets"].get<std::uint64_t>()),
                      static_cast<unsigned long long>(r["tx_errors"].get<std::uint64_t>()),
                      static_cast<unsigned long long>(r["tx_bytes"].get<std::uint64_t>()));
        out += buf;
    }
    return out;
}

std::string stats_text(const json& s) {
    std::string out =
        "Drops by reason (all workers, since clear " + to_text(s["since_s"]) + " s ago):\n";
    std::size_t w = 0;
    for (const auto& [k, v] : s["drops"].items()) {
        w = std::max(w, k.size());
    }
    for (std::size_t r = 1; r < pipeline::drop_reason_count; ++r) {
        auto reason = static_cast<pipeline::drop_reason>(r);
        std::string name = pipeline::drop_reason_name(reason);
        const json* v = find(s["drops"], name);
        std::string num = v ? to_text(*v) : "0";
        out += "  " + name + std::string(w - name.size() + 2, ' ');
        out += std::string(num.size() < 12 ? 12 - num.size() : 0, ' ') + num + "  " +
               pipeline::drop_reason_help(reason) + "\n";
    }
    out += "  total" + std::string(w - 5 + 2, ' ');
    std::string tot = to_text(s["drops_total"]);
    out += std::string(tot.size() < 12 ? 12 - tot.size() : 0, ' ') + tot + "\n";
    out += "Control core:\n" + render_kv(s["control"]);
    out += "Neighbours:\n" + render_kv(s["neighbours"]);
    return out;
}

std::string vrrp_summary(const json& rows) {
    json t = json::array();
    for (const auto& r : rows) {
        json o = json::object();
        o["name"] = r["name"];
        o["port"] = r["port"];
        o["vrid"] = r["vrid"];
        o["ver"] = r["version"];
        o["state"] = r["state"];
        o["prio"] = r["effective_priority"];
        o["master"] = r["master_address"];
        o["adv_int"] = fmt_rate(r["master_adver_interval_s"].get<double>() * 1000) + "ms";
        const json& ttd = r["time_to_master_down_s"];
        o["down_in"] = ttd.is_null() ? std::string("-") : fmt_rate(ttd.get<double>() * 1000) + "ms";
        o["sent"] = r["adverts_sent"];
        o["rcvd"] = r["adverts_received"];
        o["rejected"] = r["rejected_total"];
        std::string vips;
        for (const auto& v : r["virtual_addresses"]) {
            vips += (vips.empty() ? "" : ",") + v.get<std::string>();
        }
        o["vips"] = vips;
        t.push_back(std::move(o));
    }
    return render_table(t);
}

std::string vrrp_detail(const json& r) {
    json kv = json::object();
    for (const auto& [k, v] : r.items()) {
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
    for (const auto& [k, v] : r["rejected"].items()) {
        if (v.get<std::uint64_t>() != 0) {
            out += "  " + k + ": " + to_text(v) + "\n";
        }
    }
    if (!r["last_rejected"].is_null()) {
        out += "last rejected: " + to_text(r["last_rejected"]["reason"]) + " from " +
               to_text(r["last_rejected"]["source"]) + "\n";
    }
    out += "transitions (oldest first):\n";
    for (const auto& t : r["transitions"]) {
        out += "  " + fmt_rate(t["ago_s"].get<double>()) + " s ago: " + to_text(t["from"]) +
               " -> " + to_text(t["to"]) + ": " + to_text(t["reason"]) + "\n";
    }
    return out;
}

// ipvsadm -Ln --stats, roughly.
std::string virtual_servers_text(const json& rows) {
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
        std::string local = to_text(s["address"]) + ":" + to_text(s["port"]);
        std::string sched = to_text(s["scheduler"]);
        if (s["persistence_timeout_s"].get<std::uint64_t>() != 0) {
            sched += " persistent " + to_text(s["persistence_timeout_s"]);
        }
        std::string proto = to_text(s["protocol"]);
        for (auto& ch : proto) {
            ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        }
        std::snprintf(buf, sizeof buf, "%-5s %-24s %-10s %8llu %8llu %12llu %14llu\n",
                      proto.c_str(), local.c_str(), sched.c_str(),
                      static_cast<unsigned long long>(s["active_conns"].get<std::uint64_t>()),
                      static_cast<unsigned long long>(s["inactive_conns"].get<std::uint64_t>()),
                      static_cast<unsigned long long>(s["packets"].get<std::uint64_t>()),
                      static_cast<unsigned long long>(s["bytes"].get<std::uint64_t>()));
        out += buf;
        for (const auto& r : s["real_servers"]) {
            std::string remote = to_text(r["address"]) + ":" + to_text(r["port"]);
            std::snprintf(buf, sizeof buf,
                          "  -> %-24s %-7s %6s %-9s %8llu %8llu %12llu %14llu  %s\n",
                          remote.c_str(), to_text(r["forward"]).c_str(),
                          to_text(r["effective_weight"]).c_str(), to_text(r["state"]).c_str(),
                          static_cast<unsigned long long>(r["active_conns"].get<std::uint64_t>()),
                          static_cast<unsigned long long>(r["inactive_conns"].get<std::uint64_t>()),
                          static_cast<unsigned long long>(r["packets"].get<std::uint64_t>()),
                          static_cast<unsigned long long>(r["bytes"].get<std::uint64_t>()),
                          to_text(r["health"]).c_str());
            out += buf;
        }
    }
    return out;
}

reply parse_limit(const std::string& s, std::uint32_t& out) {
    try {
        std::size_t used = 0;
        unsigned long v = std::stoul(s, &used);
        if (used != s.size() || v == 0 || v > 100000) {
            throw std::out_of_range("limit");
        }
        out = static_cast<std::uint32_t>(v);
    } catch (...) {
        return reply::failure("error: limit '" + s + "' is not a number 1..100000\n");
    }
    return reply::success("");
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
              if (a.json) {
                  return render(r, true);
              }
              return reply::success(port_stats_text(r));
          });
    e.add("show lcores [json]", "per-worker rx/tx/replies/punts/drops and busy share",
          [&cp](const args& a) {
              json r = cp.report_lcores();
              if (!a.json) {
                  for (auto& row : r) {
                      row["busy_pct"] = fmt_rate(row["busy_pct"].get<double>());
                  }
              }
              return render(r, a.json);
          });
    e.add("show stats [json]", "every drop reason, control-core and neighbour counters",
          [&cp](const args& a) {
              json r = cp.report_stats();
              if (a.json) {
                  return render(r, true);
              }
              return reply::success(stats_text(r));
          });
    e.add("show arp [json]", "the neighbour table",
          [&cp](const args& a) { return render(cp.report_arp(), a.json); });
    e.add("show info [json]", "uptime, ports, workers, config file",
          [&cp](const args& a) { return render(cp.report_summary(), a.json); });
    e.add("show vrrp [json]", "VRRP instances: state, priority, master, timers, counters",
          [&cp](const args& a) {
              json r = cp.report_vrrp();
              if (a.json) {
                  return render(r, true);
              }
              return reply::success(vrrp_summary(r));
          });
    e.add(
        "show vrrp <name> [json]",
        "one VRRP instance in full: rejections by reason, last transitions with reasons",
        [&cp](const args& a) {
            json r = cp.report_vrrp(a["name"]);
            if (r.size() == 0) {
                return reply::failure(
                    std::string("error: no vrrp instance named '").append(a["name"]).append("'\n"));
            }
            if (a.json) {
                return render(r[0], true);
            }
            return reply::success(vrrp_detail(r[0]));
        },
        {{"name", "VRRP instance name"}});
    e.add("set vrrp <name> priority <N>", "change an instance's priority (1..254)",
          [&cp](const args& a) {
              if (!cp.vrrp()) {
                  return reply::failure("error: no vrrp instances\n");
              }
              int n = 0;
              try {
                  std::size_t used = 0;
                  n = std::stoi(a["N"], &used);
                  if (used != a["N"].size()) {
                      throw std::invalid_argument("junk");
                  }
              } catch (...) {
                  return reply::failure("error: priority '" + a["N"] +
                                        "' is not a number 1..254\n");
              }
              auto r = cp.vrrp()->set_priority(control::control_plane::now(), a["name"], n);
              if (!r) {
                  return reply::failure("error: " + r.message() + "\n");
              }
              return reply::success(a["name"] + ": priority " + a["N"] + "\n");
          },
          {{"name", "VRRP instance name"}, {"N", "priority 1..254"}});
    e.add("vrrp <name> resign",
          "a master sends priority 0 and becomes backup (until 'vrrp NAME resume')",
          [&cp](const args& a) {
              if (!cp.vrrp()) {
                  return reply::failure("error: no vrrp instances\n");
              }
              auto r = cp.vrrp()->resign(control::control_plane::now(), a["name"]);
              if (!r) {
                  return reply::failure("error: " + r.message() + "\n");
              }
              return reply::success(a["name"] + ": resigned\n");
          },
          {{"name", "VRRP instance name"}});
    e.add("vrrp <name> resume", "undo 'resign': the instance may preempt again",
          [&cp](const args& a) {
              if (!cp.vrrp()) {
                  return reply::failure("error: no vrrp instances\n");
              }
              auto r = cp.vrrp()->resume(control::control_plane::now(), a["name"]);
              if (!r) {
                  return reply::failure("error: " + r.message() + "\n");
              }
              return reply::success(a["name"] + ": resumed\n");
          },
          {{"name", "VRRP instance name"}});
    e.add("show virtual-servers [json]",
          "virtual services and real servers: weight, state, connections, packets, bytes "
          "(like ipvsadm -Ln --stats)",
          [&cp](const args& a) {
              json r = cp.report_virtual_servers();
              if (a.json) {
                  return render(r, true);
              }
              return reply::success(virtual_servers_text(r));
          });
    e.add("show health [json]",
          "health checks: state, last reason, probes and results per real server",
          [&cp](const args& a) { return render(cp.report_health(), a.json); });
    auto flows = [&cp](const std::string& vs, const std::string& limit, bool as_json) {
        std::uint32_t n = 100;
        if (!limit.empty()) {
            reply bad = parse_limit(limit, n);
            if (!bad.ok) {
                return bad;
            }
        }
        if (!vs.empty()) {
            auto ep = control::parse_endpoint(vs, true);
            if (!ep) {
                return reply::failure("error: " + ep.message() + "\n");
            }
        }
        return render(cp.report_flows(vs, n), as_json);
    };
    e.add("show flows [json]", "flows of every worker (at most 100)",
          [flows](const args& a) { return flows("", "", a.json); });
    e.add("show flows limit <N> [json]", "flows of every worker, at most N",
          [flows](const args& a) { return flows("", a["N"], a.json); }, {{"N", "how many"}});
    e.add("show flows <vip:port> [json]", "flows of one virtual service (at most 100)",
          [flows](const args& a) { return flows(a["vip:port"], "", a.json); },
          {{"vip:port", "virtual service, e.g. 10.0.0.100:80"}});
    e.add("show flows <vip:port> limit <N> [json]", "flows of one virtual service, at most N",
          [flows](const args& a) { return flows(a["vip:port"], a["N"], a.json); },
          {{"vip:port", "virtual service, e.g. 10.0.0.100:80"}, {"N", "how many"}});
    e.add("set real-server <vip:port> <rs:port> weight <N>",
          "change a real server's weight (0 drains: no new flows, existing ones continue)",
          [&cp](const args& a) {
              if (!cp.lb()) {
                  return reply::failure("error: no virtual servers configured\n");
              }
              std::uint32_t w = 0;
              try {
                  std::size_t used = 0;
                  unsigned long v = std::stoul(a["N"], &used);
                  if (used != a["N"].size() || v > 2147483647ul) {
                      throw std::out_of_range("weight");
                  }
                  w = static_cast<std::uint32_t>(v);
              } catch (...) {
                  return reply::failure("error: weight '" + a["N"] + "' is not 0..2147483647\n");
              }
              auto r = cp.lb()->set_weight(a["vip:port"], a["rs:port"], w);
              if (!r) {
                  return reply::failure("error: " + r.message() + "\n");
              }
              cp.publish_if_dirty_lb();
              return reply::success(a["rs:port"] + ": weight " + a["N"] + "\n");
          },
          {{"vip:port", "virtual service"}, {"rs:port", "real server"}, {"N", "weight"}});
    e.add("real-server <vip:port> <rs:port> enable|disable",
          "take a real server out of scheduling (disable) or back (enable)",
          [&cp](const args& a) {
              if (!cp.lb()) {
                  return reply::failure("error: no virtual servers configured\n");
              }
              bool en = a.words.back() == "enable";
              auto r = cp.lb()->set_enabled(a["vip:port"], a["rs:port"], en);
              if (!r) {
                  return reply::failure("error: " + r.message() + "\n");
              }
              cp.publish_if_dirty_lb();
              return reply::success(a["rs:port"] + (en ? ": enabled\n" : ": disabled\n"));
          },
          {{"vip:port", "virtual service"}, {"rs:port", "real server"}});
    e.add("arp resolve <address>", "resolve an IPv4 address on the port whose subnet holds it",
          [&cp](const args& a) {
              auto ip = net::ipv4_addr::parse(a["address"]);
              if (!ip) {
                  return reply::failure("error: '" + a["address"] + "' is not an IPv4 address\n");
              }
              auto r = cp.resolve(*ip);
              if (!r) {
                  return reply::failure("error: " + r.message() + "\n");
              }
              return reply::success("resolving " + ip->to_string() + "\n");
          },
          {{"address", "IPv4 address"}});
    e.add("reload",
          "read the configuration again and apply it live (SIGHUP does the same); a bad one is "
          "refused and the running one stays",
          [&cp](const args&) {
              auto r = cp.reload_from_source();
              if (!r) {
                  return reply::failure("error: " + r.message() + "\n");
              }
              return reply::success("reloaded: " + *r + "\n");
          });
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
