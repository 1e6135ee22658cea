# Writes the man page and the shell completions that the gcspike binary renders (cmake -P, from
# plugin/CMakeLists.txt). Usage: cmake -DGCSPIKE=path/to/gcspike -DOUT_DIR=dir -P generate_docs.cmake
foreach(doc "--help-man;gcspike.1" "--help-completion=bash;gcspike.bash-completion"
    "--help-completion=zsh;_gcspike")
  list(GET doc 0 flag)
  list(GET doc 1 file)
  execute_process(COMMAND ${GCSPIKE} ${flag} OUTPUT_FILE ${OUT_DIR}/${file}.tmp
    RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    file(REMOVE ${OUT_DIR}/${file}.tmp)
    message(FATAL_ERROR "${GCSPIKE} ${flag} failed: ${rc}")
  endif()
  file(RENAME ${OUT_DIR}/${file}.tmp ${OUT_DIR}/${file})
endforeach()
