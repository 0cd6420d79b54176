// deny_io_uring: runs a program with io_uring refused, the way Docker's default seccomp profile
// refuses it. Sets PR_SET_NO_NEW_PRIVS (so no privilege is needed), installs a BPF filter that
// makes io_uring_setup, io_uring_enter and io_uring_register fail with the given errno, then
// execs the program. Used by the reliability tests and by the auto-backend CI run.
//
//   deny_io_uring [--errno EPERM|ENOSYS|EINVAL] -- PROGRAM [ARGS...]
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <string_view>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {

#if defined(__x86_64__)
constexpr unsigned this_arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr unsigned this_arch = AUDIT_ARCH_AARCH64;
#else
#error "deny_io_uring: add this architecture's AUDIT_ARCH value"
#endif

int errno_named(std::string_view name) {
  if (name == "EPERM") return EPERM;
  if (name == "ENOSYS") return ENOSYS;
  if (name == "EINVAL") return EINVAL;
  if (name == "EACCES") return EACCES;
  if (name == "ENOMEM") return ENOMEM;  // a resource error: the auto driver must not fall back on it
  return -1;
}

int usage() {
  std::fprintf(stderr, "usage: deny_io_uring [--errno EPERM|ENOSYS|EINVAL|EACCES|ENOMEM] -- PROGRAM [ARGS...]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int err = EPERM;
  int i = 1;
  for (; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "--errno" && i + 1 < argc) {
      err = errno_named(argv[++i]);
      if (err < 0) return usage();
      continue;
    }
    return usage();
  }
  if (i >= argc) return usage();

  const unsigned ret_errno = SECCOMP_RET_ERRNO | (static_cast<unsigned>(err) & SECCOMP_RET_DATA);
  sock_filter filter[] = {
      // A foreign architecture's system call numbers mean something else: refuse nothing there.
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, this_arch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 3, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_enter, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_register, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, ret_errno),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof(filter) / sizeof(filter[0])), filter};

  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    std::perror("deny_io_uring: prctl(PR_SET_NO_NEW_PRIVS)");
    return 125;
  }
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
    std::perror("deny_io_uring: seccomp(SECCOMP_SET_MODE_FILTER)");
    return 125;
  }
  ::execvp(argv[i], argv + i);
  std::fprintf(stderr, "deny_io_uring: exec %s: %s\n", argv[i], std::strerror(errno));
  return 127;
}
