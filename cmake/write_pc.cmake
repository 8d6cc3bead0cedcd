# Install-time script (see cmake/CMakeLists.txt): writes mtrace.pc for the
# prefix this installation uses.  In: MTRACE_PC_IN, MTRACE_PC_BINDIR,
# MTRACE_PC_LIBDIR (as GNUInstallDirs gave them), MTRACE_PC_VERSION, and
# CMAKE_INSTALL_PREFIX from cmake --install.
foreach(dir BINDIR LIBDIR)
  if(IS_ABSOLUTE "${MTRACE_PC_${dir}}")
    set(full_${dir} "${MTRACE_PC_${dir}}")
  else()
    set(full_${dir} "${CMAKE_INSTALL_PREFIX}/${MTRACE_PC_${dir}}")
    set(MTRACE_PC_${dir} "\${prefix}/${MTRACE_PC_${dir}}")
  endif()
endforeach()
set(MTRACE_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(pc "${full_LIBDIR}/pkgconfig/mtrace.pc")
message(STATUS "Installing: $ENV{DESTDIR}${pc}")
configure_file("${MTRACE_PC_IN}" "$ENV{DESTDIR}${pc}" @ONLY)
list(APPEND CMAKE_INSTALL_MANIFEST_FILES "$ENV{DESTDIR}${pc}")
