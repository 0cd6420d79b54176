#include "drivers/blocking_pool/pool_ops.hpp"

#include "drivers/blocking_pool/file_ops.hpp"

#include <cerrno>
#include <netdb.h>

namespace corio::detail {

int perform_getaddrinfo(getaddrinfo_op& op) noexcept {
  ::addrinfo hints{};
  hints.ai_family = op.family;
  hints.ai_socktype = op.socktype;
  hints.ai_flags = op.flags;
  op.out = nullptr;
  op.gai_error = 0;
  errno = 0;
  const int rc = ::getaddrinfo(op.host, op.service, &hints, &op.out);
  if (rc == 0) return 0;
  op.out = nullptr;
  if (rc == EAI_SYSTEM) return errno ? -errno : -EIO;  // a system error: report it as such
  op.gai_error = rc;
  return -EIO;  // the caller reads gai_error
}

int perform_pool_op(op_base& op) noexcept {
  if (op.kind == op_kind::getaddrinfo) return perform_getaddrinfo(static_cast<getaddrinfo_op&>(op));
  return perform_file_op(op);
}

}  // namespace corio::detail
