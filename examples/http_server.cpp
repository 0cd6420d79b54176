// An HTTP/1.1 server: keep-alive, pipelining, Content-Length bodies, a file route, limits on
// everything a client controls, and a graceful shutdown on SIGINT/SIGTERM.
//   http_server [--host H] [--port P] [--root DIR] [--header-timeout-ms N] [--idle-timeout-ms N]
//               [--max-body N] [--max-conns N] [--queue-entries N]
// Prints "listening on ADDRESS" once bound. Routes:
//   GET|HEAD /  and  /plaintext    "Hello, World!"
//   GET|HEAD /files/NAME           the file DIR/NAME (--root), streamed through corio::fs
//   POST /upload                   reads the body, answers "received N bytes"
// Bad input is answered, never crashes or hangs: a malformed request 400, a body over
// --max-body 413, a head over 8 KiB 431, a head not complete within --header-timeout-ms
// (slowloris) 408, an unknown version 505, a chunked body 501; the connection then closes.
// Pipelined requests are answered in order, their responses sent together in one write.
// A signal stops accepting; idle keep-alive connections close at once (the group's stop
// token), requests in progress get 10 s to finish.
#include <corio/corio.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace net = corio::net;
namespace fs = corio::fs;
using namespace std::chrono_literals;

namespace {

struct options {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string root = ".";
  std::chrono::milliseconds header_timeout = 10s;
  std::chrono::milliseconds idle_timeout = 60s;
  std::size_t max_body = 1 << 20;
  std::size_t max_conns = 10000;
  corio::runtime_options runtime;  // --queue-entries: the io_uring ring's size
};

constexpr std::size_t max_head = 8 * 1024;

// ---- parsing: the head of one request, from the bytes buffered so far ----

enum class route { hello, file, upload };

struct request {
  route what = route::hello;
  bool head_only = false;  ///< HEAD: headers without the body
  bool keep_alive = true;
  std::size_t content_length = 0;
  std::string file;  ///< route::file: the name under --root
};

struct parsed {
  enum { incomplete, complete, failed } state = incomplete;
  std::size_t length = 0;  ///< complete: bytes of the head, the blank line included
  int status = 0;          ///< failed: the status to answer with
  request req;
};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return (x | 0x20) == (y | 0x20); });
}

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

parsed fail_with(int status) {
  parsed p;
  p.state = parsed::failed;
  p.status = status;
  return p;
}

/// Parses the request line and headers at the start of `in`. `scanned` remembers how far a
/// previous call looked for the blank line, so a head arriving a byte at a time costs O(n).
parsed parse_head(std::string_view in, std::size_t& scanned, const options& opt) {
  const std::size_t from = scanned > 3 ? scanned - 3 : 0;
  const std::size_t end = in.find("\r\n\r\n", from);
  if (end == std::string_view::npos) {
    scanned = in.size();
    return in.size() >= max_head ? fail_with(431) : parsed{};
  }
  if (end + 4 > max_head) return fail_with(431);
  parsed p;
  p.state = parsed::complete;
  p.length = end + 4;
  std::string_view head = in.substr(0, end + 2);  // every line ends with CRLF

  // Request line: METHOD SP TARGET SP HTTP/1.x
  std::size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  head.remove_prefix(eol + 2);
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == 0 || sp2 == std::string_view::npos || sp2 == sp1 + 1) return fail_with(400);
  std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1),
                   version = line.substr(sp2 + 1);
  if (!std::all_of(method.begin(), method.end(), is_token_char) || target.front() != '/' ||
      target.find_first_of(" \t") != std::string_view::npos || !version.starts_with("HTTP/")) {
    return fail_with(400);
  }
  if (version == "HTTP/1.0") {
    p.req.keep_alive = false;
  } else if (version != "HTTP/1.1") {
    return fail_with(version.size() == 8 && version[5] >= '0' && version[5] <= '9' ? 505 : 400);
  }

  // Headers: NAME ":" OWS VALUE OWS
  bool have_length = false;
  while (!head.empty()) {
    eol = head.find("\r\n");
    line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    const std::size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) return fail_with(400);
    std::string_view name = line.substr(0, colon), value = trim(line.substr(colon + 1));
    if (!std::all_of(name.begin(), name.end(), is_token_char)) return fail_with(400);  // no space before ':'
    if (value.find_first_of("\r\n") != std::string_view::npos) return fail_with(400);
    if (iequals(name, "content-length")) {
      if (value.empty() || value.size() > 18 || !std::all_of(value.begin(), value.end(), [](char c) {
            return c >= '0' && c <= '9';
          })) {
        return fail_with(400);
      }
      const std::size_t n = std::strtoull(std::string(value).c_str(), nullptr, 10);
      if (have_length && n != p.req.content_length) return fail_with(400);  // two lengths disagree
      have_length = true;
      p.req.content_length = n;
    } else if (iequals(name, "transfer-encoding")) {
      return fail_with(501);  // chunked bodies: not implemented here
    } else if (iequals(name, "connection")) {
      if (iequals(value, "close")) p.req.keep_alive = false;
      if (iequals(value, "keep-alive")) p.req.keep_alive = true;
    }
  }
  if (p.req.content_length > opt.max_body) return fail_with(413);

  p.req.head_only = method == "HEAD";
  const bool get = method == "GET" || p.req.head_only;
  if (target == "/" || target == "/plaintext") {
    if (!get) return fail_with(405);
    p.req.what = route::hello;
  } else if (target.starts_with("/files/")) {
    if (!get) return fail_with(405);
    std::string_view name = target.substr(7);
    if (name.empty() || name.find('/') != std::string_view::npos || name == "." || name == "..") return fail_with(404);
    p.req.what = route::file;
    p.req.file.assign(name);
  } else if (target == "/upload") {
    if (method != "POST") return fail_with(405);
    p.req.what = route::upload;
  } else {
    return fail_with(404);
  }
  return p;
}

// ---- responses ----

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
  }
  return "Error";
}

/// The Date header's value, formatted once per second.
std::string_view http_date() {
  static thread_local std::time_t cached_at = 0;
  static thread_local char text[40];
  const std::time_t now = std::time(nullptr);
  if (now != cached_at) {
    cached_at = now;
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    std::strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  }
  return text;
}

void append_head(std::string& out, int status, std::size_t length, bool keep_alive, std::string_view type) {
  char line[96];
  const int n = std::snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\nServer: corio\r\nDate: ", status, reason(status));
  out.append(line, static_cast<std::size_t>(n));
  out += http_date();
  out += "\r\nContent-Type: ";
  out += type;
  out += "\r\nContent-Length: ";
  out += std::to_string(length);
  out += keep_alive ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n";
}

void append_response(std::string& out, int status, std::string_view body, bool keep_alive, bool head_only = false) {
  append_head(out, status, body.size(), keep_alive, "text/plain");
  if (!head_only) out += body;
}

std::span<const std::byte> as_bytes(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }

// ---- one connection ----

class connection {
 public:
  connection(net::tcp_stream s, corio::stop_token stop, const options& opt)
      : stream_(std::move(s)), stop_(std::move(stop)), opt_(opt), in_(64 * 1024) {}

  corio::task<void> serve() {
    for (;;) {
      // Answer every complete request buffered (pipelining), then send the answers together.
      bool close_after = false;
      while (!close_after) {
        if (body_left_ > 0) {
          const std::size_t k = std::min(body_left_, have_ - pos_);
          pos_ += k;
          body_left_ -= k;
          if (body_left_ > 0) break;  // more body to read
          close_after = !co_await respond(current_);
          continue;
        }
        auto p = parse_head(std::string_view(in_.data() + pos_, have_ - pos_), scanned_, opt_);
        if (p.state == parsed::incomplete) break;
        if (p.state == parsed::failed) {
          append_response(out_, p.status, reason(p.status), false);
          close_after = true;
          break;
        }
        pos_ += p.length;
        scanned_ = 0;
        head_started_.reset();
        current_ = std::move(p.req);
        body_left_ = current_.content_length;
        received_ = current_.content_length;
        if (body_left_ == 0) close_after = !co_await respond(current_);
      }
      if (!co_await flush()) co_return;
      if (close_after) co_return;
      compact();
      if (have_ == in_.size()) co_return;  // cannot happen: a head is at most 8 KiB (431)
      if (!co_await read_more()) co_return;
    }
  }

 private:
  /// Appends (or, for a file, sends) the response to req. False: close the connection after.
  corio::task<bool> respond(const request& req) {
    const bool keep = req.keep_alive && !stop_.stop_requested();
    switch (req.what) {
      case route::hello:
        append_response(out_, 200, "Hello, World!", keep, req.head_only);
        break;
      case route::upload:
        append_response(out_, 200, "received " + std::to_string(received_) + " bytes\n", keep, req.head_only);
        break;
      case route::file:
        co_return co_await send_file(req, keep) && keep;
    }
    co_return keep;
  }

  /// Streams --root/NAME in 64 KiB reads; the answers queued before it go first.
  corio::task<bool> send_file(const request& req, bool keep) {
    auto f = co_await fs::file::open(opt_.root + "/" + req.file);
    if (!f) {
      append_response(out_, 404, "not found\n", keep, req.head_only);
      co_return true;
    }
    auto size = co_await f->size();
    if (!size) {
      append_response(out_, 500, "cannot stat\n", false, req.head_only);
      co_return false;
    }
    append_head(out_, 200, *size, keep, "application/octet-stream");
    if (req.head_only) co_return true;
    if (!co_await flush()) co_return false;
    std::vector<std::byte> chunk(64 * 1024);
    for (std::uint64_t off = 0; off < *size;) {
      auto n = co_await f->read_at(chunk, off);
      if (!n || *n == 0) co_return false;  // the file shrank or failed: the length cannot be kept
      if (!co_await stream_.write_all(std::span(chunk).first(*n))) co_return false;
      off += *n;
    }
    co_return true;
  }

  corio::task<bool> flush() {
    if (out_.empty()) co_return true;
    auto r = co_await stream_.write_all(as_bytes(out_));
    out_.clear();
    co_return bool(r);
  }

  void compact() {
    if (pos_ == 0) return;
    std::memmove(in_.data(), in_.data() + pos_, have_ - pos_);
    have_ -= pos_;
    pos_ = 0;
  }

  /// Reads into the buffer. Between requests: until data, the idle timeout, or a stop request.
  /// Within a head: until the header deadline (then 408). False: close.
  corio::task<bool> read_more() {
    auto space = std::span(reinterpret_cast<std::byte*>(in_.data()) + have_, in_.size() - have_);
    corio::result<std::size_t> n;
    if (have_ == 0 && body_left_ == 0) {
      if (stop_.stop_requested()) co_return false;
      auto r = co_await corio::when_any(stream_.read(space), stop_.wait(), corio::sleep_for(opt_.idle_timeout));
      if (!r || r->index != 0) co_return false;  // stopped, idle too long, or cancelled
      n = std::move(*std::get<0>(r->values));
    } else if (body_left_ > 0) {
      n = co_await corio::timeout(opt_.idle_timeout, stream_.read(space));
    } else {
      const auto now = std::chrono::steady_clock::now();
      if (!head_started_) head_started_ = now;
      const auto left = *head_started_ + opt_.header_timeout - now;
      if (left > 0s) n = co_await corio::timeout(left, stream_.read(space));
      if (left <= 0s || (!n && n.error() == corio::make_error_code(corio::errc::timed_out))) {
        append_response(out_, 408, "request head not received in time\n", false);
        co_await flush();
        co_return false;
      }
    }
    if (!n || *n == 0) co_return false;  // error or end-of-stream
    have_ += *n;
    co_return true;
  }

  net::tcp_stream stream_;
  corio::stop_token stop_;
  const options& opt_;
  std::vector<char> in_;
  std::size_t pos_ = 0, have_ = 0, scanned_ = 0;
  std::size_t body_left_ = 0, received_ = 0;
  std::optional<std::chrono::steady_clock::time_point> head_started_;
  request current_;
  std::string out_;
};

corio::task<void> serve(net::tcp_stream s, corio::stop_token stop, const options& opt) {
  connection c(std::move(s), std::move(stop), opt);
  co_await c.serve();
}

corio::task<void> accept_loop(net::tcp_listener& listener, corio::task_group& clients, const options& opt) {
  for (;;) {
    auto conn = co_await listener.accept();
    if (!conn) {
      if (corio::is_resource_exhausted(conn.error())) co_await corio::sleep_for(50ms);  // do not spin on EMFILE
      continue;
    }
    if (clients.size() >= opt.max_conns) continue;  // over the limit: dropping it closes it
    clients.spawn(serve(std::move(conn->stream), clients.get_stop_token(), opt));
  }
}

corio::task<int> run(options opt) {
  auto signals = corio::signal_set::create({SIGINT, SIGTERM});
  if (!signals) {
    std::fprintf(stderr, "signals: %s\n", signals.error().message().c_str());
    co_return 1;
  }
  auto where = net::address::parse(opt.host + ":" + std::to_string(opt.port));
  if (!where) {
    std::fprintf(stderr, "bad address %s:%d\n", opt.host.c_str(), opt.port);
    co_return 2;
  }
  auto listener = net::tcp_listener::bind(*where);
  if (!listener) {
    std::fprintf(stderr, "bind %s: %s\n", where->to_string().c_str(), listener.error().message().c_str());
    co_return 1;
  }
  std::printf("listening on %s\n", listener->local_address()->to_string().c_str());
  std::fflush(stdout);

  corio::task_group clients;
  co_await corio::when_any(accept_loop(*listener, clients, opt), signals->wait());
  (void)co_await listener->close();  // stop accepting: new clients are refused
  std::printf("signal received: %zu connection(s) open\n", clients.size());
  std::fflush(stdout);
  const bool clean = co_await clients.shutdown(10s);
  std::printf("shutdown %s\n", clean ? "clean" : "cut at the deadline");
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--host" && has_value) opt.host = argv[++i];
    else if (arg == "--port" && has_value) opt.port = std::atoi(argv[++i]);
    else if (arg == "--root" && has_value) opt.root = argv[++i];
    else if (arg == "--header-timeout-ms" && has_value) opt.header_timeout = std::chrono::milliseconds(std::atol(argv[++i]));
    else if (arg == "--idle-timeout-ms" && has_value) opt.idle_timeout = std::chrono::milliseconds(std::atol(argv[++i]));
    else if (arg == "--max-body" && has_value) opt.max_body = std::strtoul(argv[++i], nullptr, 10);
    else if (arg == "--max-conns" && has_value) opt.max_conns = std::strtoul(argv[++i], nullptr, 10);
    else if (arg == "--queue-entries" && has_value) opt.runtime.queue_entries = unsigned(std::strtoul(argv[++i], nullptr, 10));
    else {
      std::fprintf(stderr,
                   "usage: %s [--host H] [--port P] [--root DIR] [--header-timeout-ms N] [--idle-timeout-ms N] "
                   "[--max-body N] [--max-conns N] [--queue-entries N]\n",
                   argv[0]);
      return 2;
    }
  }
  corio::runtime rt(opt.runtime);
  return rt.block_on(run(opt));
}
