#include "console/commands.hpp"

#include <algorithm>
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
              auto rows = cp.port_stats();
              if (a.json) {
                  return render(control::to_json(rows), true);
              }
              return reply::success(port_stats_text(rows));
          });
    e.add("show lcores [json]", "per-worker rx/tx/replies/punts/drops and busy share",
          [&cp](const args& a) {
              auto rows = cp.lcores();
              json r = control::to_json(rows);
              if (!a.json) {
                  // The table shows one decimal.
                  for (std::size_t i = 0; i < rows.size(); ++i) {
                      r[i]["busy_pct"] = fmt_rate(rows[i].busy_pct);
                  }
              }
              return render(r, a.json);
          });
    e.add("show stats [json]", "every drop reason, control-core and neighbour counters",
          [&cp](const args& a) {
              auto st = cp.stats();
              if (a.json) {
                  return render(control::to_json(st), true);
              }
              return reply::success(stats_text(st));
          });
    e.add("show arp [json]", "the neighbour table",
          [&cp](const args& a) { return render(cp.report_arp(), a.json); });
    e.add("show info [json]", "uptime, ports, workers, config file",
          [&cp](const args& a) { return render(cp.report_summary(), a.json); });
    e.add("show vrrp [json]", "VRRP instances: state, priority, master, timers, counters",
          [&cp](const args& a) {
              auto rows = cp.vrrp_instances();
              if (a.json) {
                  return render(control::to_json(rows), true);
              }
              return reply::success(vrrp_summary(rows));
          });
    e.add(
        "show vrrp <name> [json]",
        "one VRRP instance in full: rejections by reason, last transitions with reasons",
        [&cp](const args& a) {
            auto rows = cp.vrrp_instances(a["name"]);
            if (rows.empty()) {
                return reply::failure(
                    std::string("error: no vrrp instance named '").append(a["name"]).append("'\n"));
            }
            if (a.json) {
                return render(control::to_json(rows[0]), true);
            }
            return reply::success(vrrp_detail(rows[0]));
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
              auto r = cp.vrrp()->set_priority(cp.now(), a["name"], n);
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
              auto r = cp.vrrp()->resign(cp.now(), a["name"]);
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
              auto r = cp.vrrp()->resume(cp.now(), a["name"]);
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
              auto rows = cp.virtual_servers();
              if (a.json) {
                  return render(control::to_json(rows), true);
              }
              return reply::success(virtual_servers_text(rows));
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
