#include "dataplane/flow_rules.hpp"

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_flow.h>

namespace vipgate::dataplane {

namespace {

// One rule's pattern items, spec and mask, in network order.
struct flow_pattern {
    rte_flow_item_ipv4 ip_spec{}, ip_mask{};
    rte_flow_item_tcp tcp_spec{}, tcp_mask{};
    rte_flow_item_udp udp_spec{}, udp_mask{};
    rte_flow_item items[4]{};
};

void fill_ipv4(flow_pattern& p, const lb::steer_match& m) {
    p.ip_spec.hdr.next_proto_id = m.ip_proto;
    p.ip_mask.hdr.next_proto_id = 0xff;
    p.ip_spec.hdr.src_addr = rte_cpu_to_be_32(m.src);
    p.ip_mask.hdr.src_addr = rte_cpu_to_be_32(m.src_mask);
    p.ip_spec.hdr.dst_addr = rte_cpu_to_be_32(m.dst);
    p.ip_mask.hdr.dst_addr = rte_cpu_to_be_32(m.dst_mask);
}

void fill_l4(flow_pattern& p, const lb::steer_match& m) {
    const rte_be16_t sp = rte_cpu_to_be_16(m.src_port), spm = rte_cpu_to_be_16(m.src_port_mask);
    const rte_be16_t dp = rte_cpu_to_be_16(m.dst_port), dpm = rte_cpu_to_be_16(m.dst_port_mask);
    if (m.ip_proto == IPPROTO_TCP) {
        p.tcp_spec.hdr.src_port = sp;
        p.tcp_mask.hdr.src_port = spm;
        p.tcp_spec.hdr.dst_port = dp;
        p.tcp_mask.hdr.dst_port = dpm;
        p.items[2] = {RTE_FLOW_ITEM_TYPE_TCP, &p.tcp_spec, nullptr, &p.tcp_mask};
    } else {
        p.udp_spec.hdr.src_port = sp;
        p.udp_mask.hdr.src_port = spm;
        p.udp_spec.hdr.dst_port = dp;
        p.udp_mask.hdr.dst_port = dpm;
        p.items[2] = {RTE_FLOW_ITEM_TYPE_UDP, &p.udp_spec, nullptr, &p.udp_mask};
    }
}

void build_pattern(flow_pattern& p, const lb::steer_match& m) {
    fill_ipv4(p, m);
    p.items[0] = {RTE_FLOW_ITEM_TYPE_ETH, nullptr, nullptr, nullptr}; // any Ethernet frame
    p.items[1] = {RTE_FLOW_ITEM_TYPE_IPV4, &p.ip_spec, nullptr, &p.ip_mask};
    fill_l4(p, m);
    p.items[3] = {RTE_FLOW_ITEM_TYPE_END, nullptr, nullptr, nullptr};
}

// "rte_flow_validate: Invalid argument (PMD: the PMD's own message)"
std::string refusal(const char* call, int rc, const rte_flow_error& err) {
    const std::string text = rte_strerror(rc < 0 ? -rc : rc);
    std::string s = std::string(call) + ": " + text;
    if (err.message != nullptr && *err.message != '\0' && text != err.message) {
        s += std::string(" (PMD: ") + err.message + ")";
    }
    return s;
}

} // namespace

control::port_steering install_flow_rules(std::uint16_t port_id, const std::string& driver,
                                          const lb::steering_plan& plan) {
    control::port_steering st;
    if (!plan.expressible) {
        st.mode = control::steering_mode::rss_handoff;
        st.reason = plan.reason;
        return st;
    }
    for (const auto& r : plan.rules) {
        rte_flow_attr attr{};
        attr.ingress = 1;
        attr.priority = r.priority;
        flow_pattern p;
        build_pattern(p, r.match);
        const rte_flow_action_queue queue{.index = static_cast<std::uint16_t>(r.queue)};
        const rte_flow_action actions[] = {{RTE_FLOW_ACTION_TYPE_QUEUE, &queue},
                                           {RTE_FLOW_ACTION_TYPE_END, nullptr}};
        rte_flow_error err{};
        const char* call = "rte_flow_validate";
        int rc = rte_flow_validate(port_id, &attr, p.items, actions, &err);
        if (rc == 0) {
            call = "rte_flow_create";
            rc = rte_flow_create(port_id, &attr, p.items, actions, &err) == nullptr
                     ? (rte_errno != 0 ? -rte_errno : -EINVAL)
                     : 0;
        }
        if (rc != 0) {
            if (st.rules > 0) {
                remove_flow_rules(port_id);
            }
            st.mode = control::steering_mode::rss_handoff;
            st.rules = 0;
            st.reason = driver + " refused rule " + std::to_string(&r - plan.rules.data() + 1) +
                        " of " + std::to_string(plan.rules.size()) + ": " + refusal(call, rc, err);
            return st;
        }
        ++st.rules;
    }
    st.mode = control::steering_mode::nic;
    return st;
}

void remove_flow_rules(std::uint16_t port_id) {
    rte_flow_error err{};
    rte_flow_flush(port_id, &err);
}

} // namespace vipgate::dataplane
