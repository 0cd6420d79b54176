// path_arg: the path an fs operation names, copied into the operation's awaiter so it stays
// alive while the kernel (or a pool thread) may still read it.
#pragma once

#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

namespace corio::fs {

/// An owned copy of a path. Accepts a C string, std::string, std::string_view or
/// std::filesystem::path. A path with an embedded NUL byte is refused (errc::invalid_argument)
/// by the operation it is given to.
class path_arg {
 public:
  /// From a C string (null: an empty path, which the kernel refuses with ENOENT).
  path_arg(const char* p) : str_(p ? p : "") {}
  /// From a std::string (moved in when given an rvalue).
  path_arg(std::string p) noexcept : str_(std::move(p)) {}
  /// From a string_view (copied).
  path_arg(std::string_view p) : str_(p) {}
  /// From a filesystem path (its native string).
  path_arg(const std::filesystem::path& p) : str_(p.native()) {}

  /// The NUL-terminated path handed to the kernel.
  const char* c_str() const noexcept { return str_.c_str(); }
  /// False when the path holds a NUL byte and so cannot name a file.
  bool valid() const noexcept { return std::strlen(str_.c_str()) == str_.size(); }
  /// The path text.
  const std::string& str() const noexcept { return str_; }

 private:
  std::string str_;
};

}  // namespace corio::fs
