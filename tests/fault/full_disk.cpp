// A full disk for the fault tests, without root (no small tmpfs needed): a library to LD_PRELOAD
// into shsim. With SHSIM_FULL_DISK_UNDER=<folder> and SHSIM_FULL_DISK_WHEN=<file> set, while
// <file> exists every write to a file under <folder>, and every file or folder created there,
// fails with ENOSPC, as on a disk that has just filled up. It wraps the calls shsim and SQLite
// make (write, pwrite, writev, fsync, open/openat with O_CREAT, mkdir); stdio's own writes go
// around it (shsim's event log: the fault tests turn it off).
#include <cerrno>
#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <string>

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

namespace {

template <class F> F next(const char* name) { return reinterpret_cast<F>(dlsym(RTLD_NEXT, name)); }

/// True when the disk is "full" for `path` (absolute, or relative to the working folder).
bool full_for(const std::string& path)
{
  const char* under = std::getenv("SHSIM_FULL_DISK_UNDER");
  const char* when  = std::getenv("SHSIM_FULL_DISK_WHEN");
  if (under == nullptr || when == nullptr || ::access(when, F_OK) != 0)
    return false;
  std::string absolute = path;
  if (!path.empty() && path[0] != '/') {
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd) == nullptr)
      return false;
    absolute = std::string(cwd) + "/" + path;
  }
  return absolute.rfind(under, 0) == 0;
}

bool full_for_fd(int fd)
{
  char link[64], target[4096];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = ::readlink(link, target, sizeof target - 1);
  if (n <= 0)
    return false;
  target[n] = '\0';
  return full_for(target);
}

}  // namespace

extern "C" {

ssize_t write(int fd, const void* buffer, size_t size)
{
  if (full_for_fd(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return next<ssize_t (*)(int, const void*, size_t)>("write")(fd, buffer, size);
}

ssize_t pwrite64(int fd, const void* buffer, size_t size, off64_t offset)
{
  if (full_for_fd(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return next<ssize_t (*)(int, const void*, size_t, off64_t)>("pwrite64")(fd, buffer, size, offset);
}

ssize_t pwrite(int fd, const void* buffer, size_t size, off_t offset)
{
  return pwrite64(fd, buffer, size, offset);
}

ssize_t writev(int fd, const struct iovec* parts, int count)
{
  if (full_for_fd(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return next<ssize_t (*)(int, const struct iovec*, int)>("writev")(fd, parts, count);
}

int fsync(int fd)
{
  if (full_for_fd(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return next<int (*)(int)>("fsync")(fd);
}

int mkdir(const char* path, mode_t mode)
{
  if (full_for(path)) {
    errno = ENOSPC;
    return -1;
  }
  return next<int (*)(const char*, mode_t)>("mkdir")(path, mode);
}

int open(const char* path, int flags, ...)
{
  mode_t mode = 0;
  if ((flags & O_CREAT) != 0) {
    va_list args;
    va_start(args, flags);
    mode = static_cast<mode_t>(va_arg(args, int));
    va_end(args);
    if (full_for(path) && ::access(path, F_OK) != 0) {
      errno = ENOSPC;
      return -1;
    }
  }
  return next<int (*)(const char*, int, ...)>("open")(path, flags, mode);
}

int open64(const char* path, int flags, ...)
{
  mode_t mode = 0;
  if ((flags & O_CREAT) != 0) {
    va_list args;
    va_start(args, flags);
    mode = static_cast<mode_t>(va_arg(args, int));
    va_end(args);
    if (full_for(path) && ::access(path, F_OK) != 0) {
      errno = ENOSPC;
      return -1;
    }
  }
  return next<int (*)(const char*, int, ...)>("open64")(path, flags, mode);
}

int openat(int folder, const char* path, int flags, ...)
{
  mode_t mode = 0;
  if ((flags & O_CREAT) != 0) {
    va_list args;
    va_start(args, flags);
    mode = static_cast<mode_t>(va_arg(args, int));
    va_end(args);
    if (folder == AT_FDCWD && full_for(path) && ::access(path, F_OK) != 0) {
      errno = ENOSPC;
      return -1;
    }
  }
  return next<int (*)(int, const char*, int, ...)>("openat")(folder, path, flags, mode);
}

}  // extern "C"
