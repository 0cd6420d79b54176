// Sockets on libuv: try first, park on EAGAIN, and keep the descriptor's one uv_poll_t started
// with the union of what its queues wait for (restarted when that changes, stopped when idle).
#include "drivers/libuv/uv_driver.hpp"

#include "drivers/libuv/uv_fd.hpp"

#include <corio/detail/fd_record.hpp>

#include <cerrno>
#include <new>
#include <poll.h>
#include <unistd.h>

namespace corio::detail {

namespace {

int wanted_events(const uv_fd& st) noexcept;

void on_poll(uv_poll_t* handle, int status, int events) {
  auto& st = *static_cast<uv_fd*>(handle->data);
  // libuv's polls are level-triggered: an event that fired with nobody waiting would fire
  // again every turn, so it is dropped from the watch below.
  const int fired_unwanted = status < 0 ? 0 : events & ~wanted_events(st);
  unsigned ready = 0;
  if (status < 0) {
    // POLLERR: libuv has stopped the handle. Retry everything; the calls report the error.
    st.events = 0;
    ready = readiness::ready_all | readiness::ready_hup;
  } else {
    if (events & (UV_READABLE | UV_DISCONNECT)) ready |= readiness::ready_read;
    if (events & UV_DISCONNECT) ready |= readiness::ready_hup;
    if (events & UV_WRITABLE) ready |= readiness::ready_write;
  }
  readiness::on_ready(st, ready, st.drv->sink());
  // The watch always covers what the queues wait for (a park widens it), and finishing ops
  // only narrows that: with nothing fired unwanted and the handle still started there is
  // nothing to change, the common case on a busy socket.
  if (status < 0 || fired_unwanted) st.drv->update_watch(st, fired_unwanted);
}

void on_closed(uv_handle_t* handle) {
  auto* st = static_cast<uv_fd*>(handle->data);
  if (st->closer) {
    // Linux frees the descriptor even when close reports EINTR: never retry.
    const int rc = ::close(st->fd);
    st->drv->finish(*st->closer, rc == 0 || errno == EINTR ? 0 : -errno);
  }
  delete st;
}

int uv_events(std::uint32_t poll_bits) noexcept {
  int ev = 0;
  if (poll_bits & POLLIN) ev |= UV_READABLE;
  if (poll_bits & POLLOUT) ev |= UV_WRITABLE;
  if (poll_bits & POLLRDHUP) ev |= UV_DISCONNECT;
  if (poll_bits & POLLPRI) ev |= UV_PRIORITIZED;
  return ev;
}

int wanted_events(const uv_fd& st) noexcept {
  // Asked twice per readiness event and once per park: the common case without a poller
  // needs no walk of the queues.
  if (st.pollers.empty()) [[likely]] {
    return (st.readers.empty() ? 0 : UV_READABLE) | (st.writers.empty() ? 0 : UV_WRITABLE);
  }
  int want = uv_events(readiness::interest(st));
  // A poll op waiting only for HUP or ERR: those come with any watch, so watch the rarest
  // event (urgent data). Not UV_DISCONNECT: a half-closed peer would keep reporting it.
  if (want == 0 && !st.pollers.empty()) want = UV_PRIORITIZED;
  return want;
}

}  // namespace

void uv_driver::submit_socket(op_base& op) noexcept {
  if (readiness::try_socket(*this, op)) finish(op, op.result);
}

uv_fd* uv_driver::watch(fd_record& r, int* err) noexcept {
  auto* st = new (std::nothrow) uv_fd;
  if (!st) {
    *err = -ENOMEM;
    return nullptr;
  }
  if (int rc = uv_poll_init(&loop_, &st->poll, r.fd); rc < 0) {  // not registered on failure
    delete st;
    *err = rc;
    return nullptr;
  }
  st->fd = r.fd;
  st->drv = this;
  st->poll.data = st;
  r.driver_state = st;
  return st;
}

void uv_driver::update_watch(uv_fd& st, int fired_unwanted) noexcept {
  const int want = wanted_events(st) | (st.events & ~fired_unwanted);
  if (want == st.events) return;
  if (want == 0) {
    uv_poll_stop(&st.poll);
  } else if (int rc = uv_poll_start(&st.poll, want, on_poll); rc < 0) {
    uv_poll_stop(&st.poll);
    st.events = 0;
    readiness::fail_all(st, rc, sink());
    return;
  }
  st.events = want;
}

void uv_driver::forget(fd_record& r, op_base* closer) noexcept {
  auto* st = static_cast<uv_fd*>(r.driver_state);
  r.driver_state = nullptr;
  readiness::fail_all(*st, -ECANCELED, sink());  // none by contract; never leave one behind
  st->closer = closer;
  // Stops polling (and deregisters the descriptor) now; on_closed runs in the next uv_run.
  uv_close(reinterpret_cast<uv_handle_t*>(&st->poll), on_closed);
}

void uv_driver::release(fd_record& r) noexcept {
  if (r.driver_state) forget(r, nullptr);
}

void uv_driver::close_all_handles() noexcept {
  uv_walk(
      &loop_,
      [](uv_handle_t* h, void*) {
        if (uv_is_closing(h)) return;
        // A poll handle here belongs to a record the core never released: free its state,
        // leave its descriptor to its owner.
        uv_close(h, h->type == UV_POLL ? on_closed : nullptr);
      },
      nullptr);
}

}  // namespace corio::detail
