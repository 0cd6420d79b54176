// One pooled libuv request (uv_fs_*, uv_queue_work or uv_getaddrinfo), recycled through the
// driver's free list: no allocation per operation once warm. Lives in the driver, never in the
// op, so uv.h stays out of core.
#pragma once

#include "drivers/libuv/uv_driver.hpp"

#include <cstdint>
#include <uv.h>

namespace corio::detail {

enum class uv_job_type : std::uint8_t { fs, work, getaddrinfo };

struct uv_fs_job {
  uv_fs_job() noexcept : fs{} {}
  union {
    uv_fs_t fs;
    uv_work_t work;
    uv_getaddrinfo_t gai;
  };
  uv_driver* drv = nullptr;
  op_base* op = nullptr;
  uv_fs_job* prev = nullptr;  ///< links in the live list; next also links the free list
  uv_fs_job* next = nullptr;
  int result = 0;  ///< the blocking call's result (work requests)
  uv_job_type type = uv_job_type::fs;

  uv_req_t* request() noexcept {
    switch (type) {
      case uv_job_type::fs: return reinterpret_cast<uv_req_t*>(&fs);
      case uv_job_type::work: return reinterpret_cast<uv_req_t*>(&work);
      case uv_job_type::getaddrinfo: return reinterpret_cast<uv_req_t*>(&gai);
    }
    return nullptr;
  }
};

/// Starts uv_getaddrinfo for op (uv_resolve.cpp); < 0 if it could not start (no callback then).
int start_getaddrinfo(uv_loop_t* loop, uv_fs_job& job, getaddrinfo_op& op) noexcept;

}  // namespace corio::detail
