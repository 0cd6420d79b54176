#include <corio/fs/file_stat.hpp>

namespace corio::fs::detail {

namespace {
file_type type_of(std::uint16_t mode) noexcept {
  switch (mode & S_IFMT) {
    case S_IFREG: return file_type::regular;
    case S_IFDIR: return file_type::directory;
    case S_IFLNK: return file_type::symlink;
    case S_IFBLK: return file_type::block;
    case S_IFCHR: return file_type::character;
    case S_IFIFO: return file_type::fifo;
    case S_IFSOCK: return file_type::socket;
    default: return file_type::unknown;
  }
}
}  // namespace

file_stat to_file_stat(const struct ::statx& sx) noexcept {
  file_stat st;
  st.size = sx.stx_size;
  st.blocks = sx.stx_blocks;
  st.type = type_of(sx.stx_mode);
  st.permissions = sx.stx_mode & 07777;
  st.inode = sx.stx_ino;
  st.links = sx.stx_nlink;
  st.uid = sx.stx_uid;
  st.gid = sx.stx_gid;
  st.modified = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(sx.stx_mtime.tv_sec) + std::chrono::nanoseconds(sx.stx_mtime.tv_nsec)));
  return st;
}

}  // namespace corio::fs::detail
