#include <corio/result.hpp>

#include <string>

namespace corio {
namespace {

class corio_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "corio"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::timed_out: return "operation timed out";
      case errc::no_runtime: return "no corio runtime is running on this thread";
      case errc::nested_block_on:
        return "block_on called while this thread is already running a corio runtime";
      case errc::wrong_runtime: return "handle used on a runtime that does not own it";
      case errc::closed_handle: return "handle is closed, moved-from or empty";
      case errc::runtime_gone: return "the runtime owning this handle has been destroyed";
      case errc::shutting_down: return "the runtime is shutting down";
      case errc::mismatched_halves: return "reunite: the halves belong to different streams";
      case errc::invalid_argument: return "invalid argument";
      case errc::unsupported: return "operation not supported by this backend";
      case errc::end_of_stream: return "end of stream before all requested bytes arrived";
    }
    return "unknown corio error";
  }
  std::error_condition default_error_condition(int value) const noexcept override {
    if (static_cast<errc>(value) == errc::timed_out) return std::errc::timed_out;
    if (static_cast<errc>(value) == errc::invalid_argument) return std::errc::invalid_argument;
    return {value, *this};
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const corio_category category;
  return category;
}

}  // namespace corio
