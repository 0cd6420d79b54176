// corio: a C++20 coroutine runtime for asynchronous I/O. Include this one header.
#pragma once

#include <corio/channel.hpp>
#include <corio/result.hpp>
#include <corio/runtime.hpp>
#include <corio/runtime_group.hpp>
#include <corio/signal.hpp>
#include <corio/spawn.hpp>
#include <corio/split.hpp>
#include <corio/stop.hpp>
#include <corio/stream.hpp>
#include <corio/task.hpp>
#include <corio/task_group.hpp>
#include <corio/time.hpp>
#include <corio/when.hpp>
#if __has_include(<corio/net.hpp>)
#include <corio/net.hpp>
#endif
#if __has_include(<corio/fs.hpp>)
#include <corio/fs.hpp>
#endif
