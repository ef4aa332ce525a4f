# The version every binary, man page and package reports, taken from `git describe` at configure time
# (docs/packaging.md "Version"). project(VERSION) is the fallback outside a git checkout (a source tarball).
#
#   tag v1.2.0 on HEAD             -> 1.2.0
#   5 commits after tag v1.2.0     -> 1.2.0+git5.g1a2b3c4
#   no tag at all                  -> <project version>+git<commits>.g<hash>
#   uncommitted changes            -> ... .dirty
#
# The result is already a valid Debian version (digits first, only [0-9A-Za-z.+~]), so the package and
# `--version` say the same thing. Sets CHRONOSCOPE_VERSION, CHRONOSCOPE_GIT_DESCRIBE, CHRONOSCOPE_COMMIT_DATE
# (RFC 2822, for the Debian changelog), CHRONOSCOPE_RELEASE_DATE (YYYY-MM-DD), CHRONOSCOPE_APP_ID
# and writes ${CMAKE_BINARY_DIR}/generated/chronoscope_version.h (only rewritten when the text changes, so a
# new commit recompiles the two main.cpp files and nothing else).

set(CHRONOSCOPE_VERSION ${PROJECT_VERSION})
set(CHRONOSCOPE_GIT_DESCRIBE "")
set(CHRONOSCOPE_COMMIT_DATE "")
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS ${PROJECT_SOURCE_DIR}/.git)
  execute_process(COMMAND ${GIT_EXECUTABLE} describe --tags --long --always --dirty --match "v[0-9]*"
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE _describe RESULT_VARIABLE _rc
    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(_rc EQUAL 0 AND _describe)
    set(CHRONOSCOPE_GIT_DESCRIBE ${_describe})
    set(_dirty "")
    if(_describe MATCHES "-dirty$")
      set(_dirty ".dirty")
      string(REGEX REPLACE "-dirty$" "" _describe "${_describe}")
    endif()
    if(_describe MATCHES "^v([0-9][^-]*)-([0-9]+)-g([0-9a-f]+)$")
      # --long: "v1.2.0-0-gHASH" on the tag itself
      set(_base ${CMAKE_MATCH_1})
      set(_count ${CMAKE_MATCH_2})
      set(_hash ${CMAKE_MATCH_3})
      if(_count EQUAL 0)
        set(CHRONOSCOPE_VERSION "${_base}${_dirty}")
      else()
        set(CHRONOSCOPE_VERSION "${_base}+git${_count}.g${_hash}${_dirty}")
      endif()
    else()
      # No release tag: count the commits so later builds sort after earlier ones (dpkg --compare-versions).
      execute_process(COMMAND ${GIT_EXECUTABLE} rev-list --count HEAD
        WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE _count OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      set(CHRONOSCOPE_VERSION "${PROJECT_VERSION}+git${_count}.g${_describe}${_dirty}")
    endif()
    execute_process(COMMAND ${GIT_EXECUTABLE} log -1 --format=%cs
      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE CHRONOSCOPE_RELEASE_DATE
      OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    execute_process(COMMAND ${GIT_EXECUTABLE} log -1 --format=%cD
      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE CHRONOSCOPE_COMMIT_DATE
      OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    # Configure again when HEAD moves (a commit, a checkout), so the version follows without a manual step.
    foreach(_ref HEAD packed-refs)
      execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --git-path ${_ref}
        WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE _path OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      if(_path)
        get_filename_component(_path ${_path} ABSOLUTE BASE_DIR ${PROJECT_SOURCE_DIR})
        if(EXISTS ${_path})
          set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_path})
        endif()
      endif()
    endforeach()
    execute_process(COMMAND ${GIT_EXECUTABLE} symbolic-ref -q HEAD
      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE _branch OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(_branch)
      execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --git-path ${_branch}
        WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE _path OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      get_filename_component(_path ${_path} ABSOLUTE BASE_DIR ${PROJECT_SOURCE_DIR})
      if(EXISTS ${_path})
        set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_path})
      endif()
    endif()
  endif()
endif()
# Anything else git could print (a hand-made tag name) is mapped onto Debian's version alphabet.
string(REGEX REPLACE "[^0-9A-Za-z.+~]" "." CHRONOSCOPE_VERSION "${CHRONOSCOPE_VERSION}")
if(NOT CHRONOSCOPE_VERSION MATCHES "^[0-9]")
  set(CHRONOSCOPE_VERSION "${PROJECT_VERSION}+${CHRONOSCOPE_VERSION}")
endif()
if(NOT CHRONOSCOPE_COMMIT_DATE)
  string(TIMESTAMP CHRONOSCOPE_COMMIT_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
  string(TIMESTAMP CHRONOSCOPE_RELEASE_DATE "%Y-%m-%d" UTC)
endif()
# The desktop id: names the .desktop file, the AppStream component, the icon and the app's Wayland app id.
set(CHRONOSCOPE_APP_ID io.github.chronoscope.Chronoscope)
message(STATUS "Chronoscope version ${CHRONOSCOPE_VERSION} (git describe: ${CHRONOSCOPE_GIT_DESCRIBE})")

configure_file(${CMAKE_CURRENT_LIST_DIR}/chronoscope_version.h.in ${CMAKE_BINARY_DIR}/generated/chronoscope_version.h @ONLY)
