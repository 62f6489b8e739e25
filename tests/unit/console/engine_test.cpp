#include <gtest/gtest.h>

#include "console/engine.hpp"

using namespace vipgate::console;

namespace {
engine make() {
    engine e;
    e.add("show ports [json]", "ports",
          [](const args& a) { return reply::success(a.json ? "[]\n" : "ports\n"); });
    e.add("show port stats all [json]", "stats", [](const args&) { return reply::success("s\n"); });
    e.add("set vrrp <name> priority <N>", "prio",
          [](const args& a) { return reply::success(a["name"] + "=" + a["N"] + "\n"); });
    e.add("real-server <rs> enable|disable", "toggle",
          [](const args& a) { return reply::success(a.words.back() + "\n"); });
    e.add("boom", "throws", [](const args&) -> reply { throw std::runtime_error("bad"); });
    return e;
}
} // namespace

TEST(Engine, MatchesLiteralsArgumentsAndJson) {
    engine e = make();
    EXPECT_EQ(e.execute("show ports").text, "ports\n");
    EXPECT_EQ(e.execute("show ports json").text, "[]\n");
    EXPECT_EQ(e.execute("  show   port stats all ").text, "s\n");
    EXPECT_EQ(e.execute("set vrrp VI_1 priority 150").text, "VI_1=150\n");
    EXPECT_EQ(e.execute("real-server a disable").text, "disable\n");
}

TEST(Engine, QuotedArgumentsAndComments) {
    engine e = make();
    EXPECT_EQ(e.execute("set vrrp \"my inst\" priority 1 # trailing comment").text, "my inst=1\n");
    EXPECT_FALSE(e.execute("set vrrp \"open priority 1").ok);
}

TEST(Engine, UnknownCommandsFailWithHints) {
    engine e = make();
    reply r = e.execute("show nothing");
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.text.find("unknown command 'show nothing'"), std::string::npos);
    EXPECT_NE(r.text.find("show ports [json]"), std::string::npos) << r.text;
    r = e.execute("frobnicate");
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.text.find("help"), std::string::npos);
    EXPECT_FALSE(e.execute("set vrrp x priority").ok) << "missing argument";
    EXPECT_FALSE(e.execute("show port stats all extra").ok) << "extra word";
    EXPECT_FALSE(e.execute("set vrrp x priority 1 json").ok) << "json only where declared";
}

TEST(Engine, HandlerExceptionsBecomeErrors) {
    engine e = make();
    reply r = e.execute("boom");
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.text.find("bad"), std::string::npos);
}

TEST(Engine, EmptyLineIsANoop) {
    engine e = make();
    EXPECT_TRUE(e.execute("   ").ok);
    EXPECT_TRUE(e.execute("").text.empty());
}

TEST(Engine, HelpListsUsage) {
    engine e = make();
    std::string h = e.help_text();
    EXPECT_NE(h.find("set vrrp <name> priority <N>"), std::string::npos);
    EXPECT_NE(h.find("real-server <rs> enable|disable"), std::string::npos);
    EXPECT_NE(h.find("show port stats all [json]"), std::string::npos);
}
