# install() and the exported CMake package: find_package(corio CONFIG REQUIRED) + corio::corio.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS corio EXPORT corioTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY core/include/ net/include/ fs/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT corioTargets NAMESPACE corio:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/corio)

configure_package_config_file(cmake/corioConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/corioConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/corio)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/corioConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/corioConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/corioConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/corio)
