# One warning set for every target of ours: -Werror keeps main clean.
add_library(cg_warnings INTERFACE)
target_compile_options(cg_warnings INTERFACE -Wall -Wextra -Werror -Wno-missing-field-initializers)
