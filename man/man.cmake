# man/man.cmake - what `cmake --install` puts beside the binaries: the
# manual pages, the systemd unit, the example configuration and the docs.
# The binaries' own install rules stay with their targets (daemon.cmake,
# ctl.cmake, worker.cmake). Paths are relative to CMAKE_INSTALL_PREFIX
# (/usr/local by default); tests/integration/manpages.sh installs into a
# temp prefix and checks every file below.
#
# The example config goes to share/doc/klaimd/examples, not etc/: an
# install must never overwrite an operator's /etc/klaimd/klaimd.conf, and
# <prefix>/etc is not where the unit looks anyway. Copy it once.
install(FILES ${CMAKE_SOURCE_DIR}/man/klaimctl.1 DESTINATION share/man/man1)
install(FILES ${CMAKE_SOURCE_DIR}/man/klaimd.conf.5 DESTINATION share/man/man5)
install(FILES ${CMAKE_SOURCE_DIR}/man/klaimd.8 ${CMAKE_SOURCE_DIR}/man/klaim-worker.8
        DESTINATION share/man/man8)
install(FILES ${CMAKE_SOURCE_DIR}/systemd/klaimd.service DESTINATION lib/systemd/system)
# tmpfiles.d: /etc/klaimd and its clients.d before the first start. No
# sysusers.d file: the unit runs with DynamicUser=yes (see its comment).
install(FILES ${CMAKE_SOURCE_DIR}/systemd/klaimd.tmpfiles DESTINATION lib/tmpfiles.d RENAME klaimd.conf)
install(FILES ${CMAKE_SOURCE_DIR}/config/klaimd.conf DESTINATION share/doc/klaimd/examples)
file(GLOB KLAIM_DOCS_MD CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/proto/PROTOCOL.md ${KLAIM_DOCS_MD}
        DESTINATION share/doc/klaimd)
