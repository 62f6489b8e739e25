#include "exec/fifo.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace vipgate::exec {

result<fifo_writer> fifo_writer::open(const std::string& path) {
    bool created = false;
    if (::mkfifo(path.c_str(), S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH) == 0) {
        created = true;
    } else if (errno != EEXIST) {
        return make_error("cannot create notify fifo " + path + ": " + std::strerror(errno));
    }
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
    if (fd < 0) {
        const int err = errno;
        if (created) {
            ::unlink(path.c_str());
        }
        return make_error("cannot open notify fifo " + path + ": " + std::strerror(err));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode)) {
        ::close(fd);
        return make_error("notify fifo " + path + " is not a FIFO");
    }
    return fifo_writer{path, fd, created};
}

fifo_writer::fifo_writer(fifo_writer&& o) noexcept
    : path_(std::move(o.path_)), fd_(std::exchange(o.fd_, -1)),
      created_(std::exchange(o.created_, false)), written_(o.written_), dropped_(o.dropped_) {}

fifo_writer& fifo_writer::operator=(fifo_writer&& o) noexcept {
    if (this != &o) {
        close();
        path_ = std::move(o.path_);
        fd_ = std::exchange(o.fd_, -1);
        created_ = std::exchange(o.created_, false);
        written_ = o.written_;
        dropped_ = o.dropped_;
    }
    return *this;
}

fifo_writer::~fifo_writer() {
    close();
}

void fifo_writer::close() {
    // keepalived fifo_close(): unlink first so a reader looping on open()
    // cannot reopen a FIFO that nobody writes any more.
    if (created_) {
        ::unlink(path_.c_str());
        created_ = false;
    }
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

bool fifo_writer::write(std::string_view line) {
    const ssize_t n = fd_ < 0 ? -1 : ::write(fd_, line.data(), line.size());
    if (n != static_cast<ssize_t>(line.size())) {
        ++dropped_;
        return false;
    }
    ++written_;
    return true;
}

} // namespace vipgate::exec
