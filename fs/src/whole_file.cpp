// read_file / write_file: coroutines combining open, a read or write loop, and close.
#include <corio/fs/file.hpp>
#include <corio/fs/whole_file.hpp>

#include <algorithm>

namespace corio::fs {

task<result<std::string>> read_file(path_arg path) {
  auto f = co_await file::open(std::move(path));
  if (!f) co_return tl::unexpected(f.error());
  // The size is a hint for the first allocation; the loop reads until end of file regardless.
  std::size_t hint = 0;
  if (auto sz = co_await f->size(); sz) hint = static_cast<std::size_t>(*sz);
  std::string out;
  out.resize(std::max<std::size_t>(hint, 4096) + 1);  // +1: the read that sees EOF needs room
  std::size_t filled = 0;
  for (;;) {
    if (filled == out.size()) out.resize(out.size() * 2);
    auto buf = std::as_writable_bytes(std::span(out)).subspan(filled);
    auto n = co_await f->read_at(buf, filled);
    if (!n) co_return tl::unexpected(n.error());
    if (*n == 0) break;
    filled += *n;
  }
  out.resize(filled);
  auto closed = co_await f->close();
  if (!closed) co_return tl::unexpected(closed.error());
  co_return out;
}

task<result<void>> write_file(path_arg path, std::span<const std::byte> data, ::mode_t mode) {
  auto f = co_await file::open(std::move(path), open_options().write().create().truncate().permissions(mode));
  if (!f) co_return tl::unexpected(f.error());
  auto w = co_await f->write_all_at(data, 0);
  if (!w) co_return tl::unexpected(w.error());
  // close() reports what a deferred write-back error may only tell at close time.
  co_return co_await f->close();
}

task<result<void>> write_file(path_arg path, std::string_view text, ::mode_t mode) {
  return write_file(std::move(path), std::as_bytes(std::span(text.data(), text.size())), mode);
}

}  // namespace corio::fs
