# CPACK_PRE_BUILD_SCRIPTS for the Debian package: runs after CPack installed gcspike into its
# staging directory and before dpkg-deb packs it. Adds what Debian policy asks of a package and
# `cmake --install` rightly does not do: compressed manual pages (policy 12.1), the copyright
# file and a changelog (policy 12.5, 12.7), and no .comment section in the (already stripped)
# binary, as dh_strip does.
file(GLOB staged_binaries "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*/bin/*")
foreach(binary ${staged_binaries})
  execute_process(COMMAND objcopy --remove-section=.comment ${binary} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "objcopy --remove-section=.comment ${binary} failed")
  endif()
endforeach()
file(GLOB_RECURSE staged_man_pages "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*/share/man/man1/*.1")
if(NOT staged_man_pages)
  message(FATAL_ERROR "no man page under ${CPACK_TEMPORARY_INSTALL_DIRECTORY}")
endif()
foreach(page ${staged_man_pages})
  # -n: no name or time stamp in the header, so the package is reproducible.
  execute_process(COMMAND gzip -9nf ${page} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "gzip ${page} failed")
  endif()
endforeach()

file(GLOB_RECURSE staged_docs LIST_DIRECTORIES true "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*/share/doc/gcspike")
list(FILTER staged_docs INCLUDE REGEX "/share/doc/gcspike$")
if(NOT staged_docs)
  message(FATAL_ERROR "no share/doc/gcspike under ${CPACK_TEMPORARY_INSTALL_DIRECTORY}")
endif()
list(GET staged_docs 0 docdir)
file(COPY ${CPACK_GCSPIKE_SOURCE_DIR}/packaging/copyright DESTINATION ${docdir})

# A native package's changelog: one entry for the version being packaged.
string(TIMESTAMP date "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(WRITE ${docdir}/changelog
  "gcspike (${CPACK_PACKAGE_VERSION}) unstable; urgency=medium\n\n"
  "  * Built from git commit ${CPACK_GCSPIKE_GIT_COMMIT}.\n\n"
  " -- ${CPACK_PACKAGE_CONTACT}  ${date}\n")
execute_process(COMMAND gzip -9nf ${docdir}/changelog RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gzip ${docdir}/changelog failed")
endif()
