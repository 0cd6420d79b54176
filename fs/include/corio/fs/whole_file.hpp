// Whole-file conveniences: read_file and write_file, each one open, a loop of reads or writes,
// and a close whose error is reported.
#pragma once

#include <corio/fs/path_arg.hpp>
#include <corio/result.hpp>
#include <corio/task.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace corio::fs {

/// The whole content of a file (read until end of file, so files whose size stat cannot tell,
/// like those in /proc, work too).
task<result<std::string>> read_file(path_arg path);
/// Replaces the content of `path` with `data`, creating the file (with `mode`) if needed. The
/// bytes must stay alive until the task completes.
task<result<void>> write_file(path_arg path, std::span<const std::byte> data, ::mode_t mode = 0644);
/// write_file for text.
task<result<void>> write_file(path_arg path, std::string_view text, ::mode_t mode = 0644);

}  // namespace corio::fs
