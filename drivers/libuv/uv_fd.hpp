// The libuv driver's per-descriptor state: the readiness queues and the descriptor's one
// uv_poll_t (libuv allows a single poll handle per descriptor).
#pragma once

#include "drivers/readiness/fd_queues.hpp"

#include <uv.h>

namespace corio::detail {

class uv_driver;

struct uv_fd : readiness::fd_queues {
  uv_poll_t poll{};             ///< poll.data points back here
  uv_driver* drv = nullptr;
  int events = 0;               ///< UV_* events the handle is started with (0: stopped)
  op_base* closer = nullptr;    ///< close op finished once the handle is closed (null: release)
};

}  // namespace corio::detail
