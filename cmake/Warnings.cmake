# One warnings target linked into every first-party target (house style: -Werror in CI).
add_library(emsgw_warnings INTERFACE)
target_compile_options(emsgw_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow -Wnon-virtual-dtor
  -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wdouble-promotion
  -Wformat=2 -Wimplicit-fallthrough -Wmisleading-indentation)
if(EMSGW_WERROR)
  target_compile_options(emsgw_warnings INTERFACE -Werror)
endif()

add_library(emsgw_options INTERFACE)
target_include_directories(emsgw_options INTERFACE ${PROJECT_SOURCE_DIR})
target_link_libraries(emsgw_options INTERFACE emsgw_warnings)
if(EMSGW_SANITIZE)
  target_compile_options(emsgw_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                 -fno-sanitize-recover=undefined)
  target_link_options(emsgw_options INTERFACE -fsanitize=address,undefined)
  target_compile_definitions(emsgw_options INTERFACE EMSGW_SANITIZED=1)
endif()

# Third-party headers are included as system headers so their warnings do not fail our build.
function(emsgw_third_party target)
  get_target_property(_inc ${target} INTERFACE_INCLUDE_DIRECTORIES)
  if(_inc)
    set_target_properties(${target} PROPERTIES INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${_inc}")
  endif()
endfunction()
