// notify_fifo writer with a real FIFO: created, lines readable, never
// blocking, dropped when full, removed on close.
#include "exec/fifo.hpp"
#include "exec/notify.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vipgate::exec {
namespace {

std::string fifo_path() {
    return "/tmp/vipgate_exec_fifo_" + std::to_string(getpid());
}

TEST(FifoTest, WritesKeepalivedLinesAndRemovesItsFifo) {
    const std::string path = fifo_path();
    {
        auto w = fifo_writer::open(path);
        ASSERT_TRUE(w) << w.message();
        struct stat st {};
        ASSERT_EQ(stat(path.c_str(), &st), 0);
        EXPECT_TRUE(S_ISFIFO(st.st_mode));
        const int reader = open(path.c_str(), O_RDONLY | O_NONBLOCK);
        ASSERT_GE(reader, 0);
        EXPECT_TRUE(w->write(fifo_line(vrrp_kind::instance, "VI_1", vrrp_state::master, 100)));
        EXPECT_TRUE(w->write(fifo_line(vrrp_kind::group, "G", vrrp_state::backup, 0)));
        char buf[128] = {};
        const ssize_t n = read(reader, buf, sizeof buf - 1);
        EXPECT_EQ(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0),
                  "INSTANCE \"VI_1\" MASTER 100\nGROUP \"G\" BACKUP 0\n");
        close(reader);
        EXPECT_EQ(w->written(), 2u);
    }
    EXPECT_NE(access(path.c_str(), F_OK), 0); // created by the writer: removed
}

TEST(FifoTest, FullPipeDropsInsteadOfBlocking) {
    const std::string path = fifo_path() + "_full";
    auto w = fifo_writer::open(path);
    ASSERT_TRUE(w);
    const std::string line(1000, 'x');
    for (int i = 0; i < 200; ++i) { // 200 KB > the 64 KB pipe buffer, nobody reads
        (void)w->write(line);
    }
    EXPECT_GT(w->dropped(), 0u);
    EXPECT_GT(w->written(), 0u);
}

TEST(FifoTest, RefusesWhatIsNotAFifo) {
    const std::string path = fifo_path() + "_file";
    const int fd = open(path.c_str(), O_CREAT | O_WRONLY, 0600);
    ASSERT_GE(fd, 0);
    close(fd);
    EXPECT_FALSE(fifo_writer::open(path));
    unlink(path.c_str());
    EXPECT_FALSE(fifo_writer::open("/nonexistent/dir/fifo"));
}

} // namespace
} // namespace vipgate::exec
