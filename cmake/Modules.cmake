# cg_module(NAME DEPS ...): a static library from src/NAME/*.cc, one per module of DESIGN §5.
# Sources are globbed (CONFIGURE_DEPENDS) so adding a file to a module needs no CMake edit.
function(cg_module name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*.cc")
  if(NOT srcs)
    # Header-only so far.
    add_library(cg_${name} INTERFACE)
    target_include_directories(cg_${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(cg_${name} INTERFACE ${ARG_DEPS})
    return()
  endif()
  add_library(cg_${name} STATIC ${srcs})
  target_include_directories(cg_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(cg_${name} PUBLIC ${ARG_DEPS} PRIVATE cg_warnings)
endfunction()

# cg_tests(NAME DEPS ...): one gtest executable from test/NAME/*_test.cc, registered with ctest.
function(cg_tests name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*_test.cc")
  if(NOT srcs)
    return()
  endif()
  add_executable(${name}_tests ${srcs})
  target_include_directories(${name}_tests PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/test)
  target_link_libraries(${name}_tests PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main cg_warnings)
  target_compile_definitions(${name}_tests PRIVATE
    CLAIMGATE_SHARED_DIR="${CLAIMGATE_SHARED_DIR}"
    CLAIMGATE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  add_test(NAME ${name} COMMAND ${name}_tests --gtest_brief=1)
  set_tests_properties(${name} PROPERTIES LABELS unit)
endfunction()

# cg_fuzzer(NAME SOURCE DEPS ...): a libFuzzer target (only with CLAIMGATE_FUZZ).
function(cg_fuzzer name source)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  add_executable(fuzz_${name} ${source})
  target_include_directories(fuzz_${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(fuzz_${name} PRIVATE ${ARG_DEPS} cg_warnings)
endfunction()
