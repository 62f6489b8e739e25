#include "dataplane/telemetry.hpp"

#include <rte_telemetry.h>

#include <atomic>
#include <string>

namespace vipgate::dataplane {

using control::control_plane;

namespace {

std::atomic<control_plane*> g_cp{nullptr};

// Telemetry dicts hold scalars and one level of arrays of scalars, so nested
// objects are flattened into dotted keys ("ext0.rx_packets").
void flatten(const json& v, const std::string& prefix, rte_tel_data* d, int& budget) {
    if (budget <= 0) {
        return;
    }
    if (v.is_object()) {
        for (const auto& [k, child] : v.items()) {
            flatten(child, prefix.empty() ? k : prefix + "/" + k, d, budget);
        }
        return;
    }
    std::string key = prefix.substr(0, RTE_TEL_MAX_STRING_LEN - 1);
    --budget;
    if (v.is_array()) {
        // Arrays of objects: key each element by its "name" (or index).
        std::size_t i = 0;
        for (const auto& e : v) {
            std::string k = key + "/" + std::to_string(i);
            if (const json* n = find(e, "name"); n && n->is_string()) {
                k = key + "/" + n->get<std::string>();
            } else if (const json* a = find(e, "address"); a && a->is_string()) {
                k = key + "/" + a->get<std::string>();
            }
            flatten(e, k, d, budget);
            ++i;
        }
        return;
    }
    if (v.is_number_unsigned()) {
        rte_tel_data_add_dict_u64(d, key.c_str(), v.get<std::uint64_t>());
    } else if (v.is_number_integer()) {
        rte_tel_data_add_dict_int(d, key.c_str(), static_cast<int>(v.get<std::int64_t>()));
    } else if (v.is_boolean()) {
        rte_tel_data_add_dict_int(d, key.c_str(), v.get<bool>() ? 1 : 0);
    } else if (v.is_number_float()) {
        rte_tel_data_add_dict_string(d, key.c_str(), dump_json(v).c_str());
    } else {
        rte_tel_data_add_dict_string(d, key.c_str(),
                                     to_text(v).substr(0, RTE_TEL_MAX_STRING_LEN - 1).c_str());
    }
}

int answer(rte_tel_data* d, const json& top) {
    rte_tel_data_start_dict(d);
    int budget = RTE_TEL_MAX_DICT_ENTRIES;
    if (top.is_array()) {
        json wrapped = json::object();
        // Key rows by name / address / index.
        std::size_t i = 0;
        for (const auto& e : top) {
            std::string k = std::to_string(i++);
            if (const json* n = find(e, "name"); n && n->is_string()) {
                k = n->get<std::string>();
            } else if (const json* a = find(e, "address"); a && a->is_string()) {
                k = a->get<std::string>();
            } else if (const json* w = find(e, "worker")) {
                k = "worker" + to_text(*w);
            }
            wrapped[k] = e;
        }
        flatten(wrapped, "", d, budget);
    } else {
        flatten(top, "", d, budget);
    }
    return 0;
}

template <json (control_plane::*Report)()>
int endpoint(const char*, const char* params, rte_tel_data* d) {
    control_plane* cp = g_cp.load();
    if (cp == nullptr) {
        return -1;
    }
    std::string want = params ? params : "";
    json r = cp->call_sync([cp] { return (cp->*Report)(); });
    if (!want.empty() && r.is_array()) {
        // "/vipgate/ports,ext0": one row only.
        for (const auto& e : r) {
            const json* n = find(e, "name");
            if (n && to_text(*n) == want) {
                return answer(d, e);
            }
        }
        return -EINVAL;
    }
    return answer(d, r);
}

} // namespace

void register_telemetry(control_plane* cp) {
    g_cp.store(cp);
    rte_telemetry_register_cmd("/vipgate/info", endpoint<&control_plane::report_summary>,
                               "vipgate uptime, ports, workers, config file");
    rte_telemetry_register_cmd("/vipgate/ports", endpoint<&control_plane::report_port_stats>,
                               "Per-port packet counters. Parameter: port name (optional)");
    rte_telemetry_register_cmd("/vipgate/lcores", endpoint<&control_plane::report_lcores>,
                               "Per-worker rx/tx/replies/punts/drops");
    rte_telemetry_register_cmd("/vipgate/stats", endpoint<&control_plane::report_stats>,
                               "Drop counters by reason, control-core and neighbour counters");
    rte_telemetry_register_cmd("/vipgate/vrrp", endpoint<&control_plane::report_vrrp_all>,
                               "VRRP instances. Parameter: instance name (optional)");
    rte_telemetry_register_cmd("/vipgate/virtual_servers",
                               endpoint<&control_plane::report_virtual_servers>,
                               "Virtual services and their real servers");
    rte_telemetry_register_cmd("/vipgate/health", endpoint<&control_plane::report_health>,
                               "Health checks of the real servers");
    rte_telemetry_register_cmd("/vipgate/sync", endpoint<&control_plane::report_sync>,
                               "Flow-state sync: peers, states, counters, refusals");
    rte_telemetry_register_cmd("/vipgate/flows", endpoint<&control_plane::report_flows_default>,
                               "Up to 100 flows of every worker");
    rte_telemetry_register_cmd("/vipgate/arp", endpoint<&control_plane::report_arp>,
                               "Neighbour table");
}

void unregister_telemetry() {
    g_cp.store(nullptr);
}

} // namespace vipgate::dataplane
