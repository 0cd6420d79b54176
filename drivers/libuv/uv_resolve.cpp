// getaddrinfo on libuv: uv_getaddrinfo on libuv's own pool, as a pooled request (uv_job.hpp).
// libuv's UV_EAI_* codes are mapped back to the EAI_* values every other driver reports.
#include "drivers/libuv/uv_job.hpp"

#include <cerrno>
#include <netdb.h>

namespace corio::detail {

namespace {

/// The EAI_* code for a UV_EAI_* status (0 if status is not one).
int eai_of(int status) noexcept {
  switch (status) {
    case UV_EAI_ADDRFAMILY: return EAI_ADDRFAMILY;
    case UV_EAI_AGAIN: return EAI_AGAIN;
    case UV_EAI_BADFLAGS: return EAI_BADFLAGS;
    case UV_EAI_FAIL: return EAI_FAIL;
    case UV_EAI_FAMILY: return EAI_FAMILY;
    case UV_EAI_MEMORY: return EAI_MEMORY;
    case UV_EAI_NODATA: return EAI_NODATA;
    case UV_EAI_NONAME: return EAI_NONAME;
    case UV_EAI_OVERFLOW: return EAI_OVERFLOW;
    case UV_EAI_SERVICE: return EAI_SERVICE;
    case UV_EAI_SOCKTYPE: return EAI_SOCKTYPE;
    default: return 0;
  }
}

void on_getaddrinfo(uv_getaddrinfo_t* req, int status, ::addrinfo* res) {
  auto& job = *static_cast<uv_fs_job*>(req->data);
  auto& op = *static_cast<getaddrinfo_op*>(job.op);
  if (job.drv->dying()) {  // nobody will read the op: the list is ours to free
    uv_freeaddrinfo(res);
    job.drv->fs_done(job, -ECANCELED);
    return;
  }
  int result = 0;
  op.out = nullptr;
  op.gai_error = 0;
  if (status == 0) {
    op.out = res;  // the awaiter (or the core, if nobody receives it) frees it
  } else {
    uv_freeaddrinfo(res);
    if (status == UV_EAI_CANCELED) {
      result = -ECANCELED;
    } else if (const int eai = eai_of(status)) {
      op.gai_error = eai;
      result = -EIO;
    } else {
      result = status;  // UV_E* values are -errno on Unix
    }
  }
  job.drv->fs_done(job, result);
}

}  // namespace

int start_getaddrinfo(uv_loop_t* loop, uv_fs_job& job, getaddrinfo_op& op) noexcept {
  job.type = uv_job_type::getaddrinfo;
  job.gai.data = &job;
  ::addrinfo hints{};
  hints.ai_family = op.family;
  hints.ai_socktype = op.socktype;
  hints.ai_flags = op.flags;
  // libuv copies host, service and hints: nothing here needs to outlive the call.
  const int rc = uv_getaddrinfo(loop, &job.gai, on_getaddrinfo, op.host, op.service, &hints);
  if (const int eai = eai_of(rc)) {  // refused before it started (no callback follows)
    op.gai_error = eai;
    return -EIO;
  }
  return rc;
}

}  // namespace corio::detail
