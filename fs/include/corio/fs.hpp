// corio::fs: files and path operations on every driver (io_uring natively, epoll through its
// blocking pool, libuv through uv_fs_*).
#pragma once

#include <corio/fs/file.hpp>
#include <corio/fs/file_stat.hpp>
#include <corio/fs/open_options.hpp>
#include <corio/fs/path_arg.hpp>
#include <corio/fs/path_ops.hpp>
#include <corio/fs/whole_file.hpp>
