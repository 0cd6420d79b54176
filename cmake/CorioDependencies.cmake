# Finds what corio needs, and fails with the Debian package to install when it is missing.

find_package(tl-expected CONFIG QUIET)
if(NOT TARGET tl::expected)
  find_path(CORIO_TL_EXPECTED_DIR tl/expected.hpp)
  if(NOT CORIO_TL_EXPECTED_DIR)
    message(FATAL_ERROR "corio needs tl::expected: apt-get install libexpected-dev")
  endif()
  add_library(tl::expected INTERFACE IMPORTED)
  target_include_directories(tl::expected INTERFACE ${CORIO_TL_EXPECTED_DIR})
endif()

find_package(PkgConfig QUIET)
function(corio_find_backend_library prefix module header lib package)
  find_path(${prefix}_INCLUDE_DIR ${header})
  find_library(${prefix}_LIBRARY ${lib})
  if(NOT ${prefix}_INCLUDE_DIR OR NOT ${prefix}_LIBRARY)
    message(FATAL_ERROR
      "CORIO_BACKEND=${CORIO_BACKEND} needs ${module}, which was not found: "
      "apt-get install ${package}")
  endif()
  set(${prefix}_INCLUDE_DIR ${${prefix}_INCLUDE_DIR} PARENT_SCOPE)
  set(${prefix}_LIBRARY ${${prefix}_LIBRARY} PARENT_SCOPE)
endfunction()

if(CORIO_BACKEND MATCHES "^(io_uring|auto)$")  # auto: io_uring and epoll (which needs nothing)
  corio_find_backend_library(CORIO_URING liburing liburing.h uring liburing-dev)
  set(CORIO_BACKEND_LIBRARY ${CORIO_URING_LIBRARY})
  set(CORIO_BACKEND_INCLUDE ${CORIO_URING_INCLUDE_DIR})
elseif(CORIO_BACKEND STREQUAL "libuv")
  corio_find_backend_library(CORIO_UV libuv uv.h uv libuv1-dev)
  set(CORIO_BACKEND_LIBRARY ${CORIO_UV_LIBRARY})
  set(CORIO_BACKEND_INCLUDE ${CORIO_UV_INCLUDE_DIR})
else()
  set(CORIO_BACKEND_LIBRARY "")
  set(CORIO_BACKEND_INCLUDE "")
endif()

find_package(Threads REQUIRED)

# TLS (corio::net::tls_stream) runs OpenSSL 3 over memory BIOs.
find_package(OpenSSL 3.0 COMPONENTS SSL Crypto)
if(NOT OpenSSL_FOUND)
  message(FATAL_ERROR "corio needs OpenSSL 3 for TLS: apt-get install libssl-dev")
endif()
