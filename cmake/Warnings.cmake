# One warning set for every target of ours: -Werror keeps main clean.
add_library(cg_warnings INTERFACE)
target_compile_options(cg_warnings INTERFACE -Wall -Wextra -Werror -Wno-missing-field-initializers)
# GCC 12 at -O3 (CMAKE_BUILD_TYPE=Release) reports -Wrestrict inside libstdc++'s
# `const char* + std::string` (GCC PR 105651, fixed in 13): a false positive that breaks
# the Release build of two tests. Only that compiler loses the check.
target_compile_options(cg_warnings INTERFACE
  $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-restrict>)
