# Library sources, by directory; SIMD files get their instruction-set flags from their suffix
# so one binary runs on any CPU of its architecture (the choice is made at run time).
file(GLOB GLINT_SOURCES CONFIGURE_DEPENDS
  engine/*.c engine/arch/*.c engine/tokenizer/*.c backends/*.c backends/cpu/*.c)

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64")
  file(GLOB GLINT_X86_AVX2 CONFIGURE_DEPENDS backends/cpu/x86/*_avx2.c)
  file(GLOB GLINT_X86_AVX512 CONFIGURE_DEPENDS backends/cpu/x86/*_avx512.c)
  set_source_files_properties(${GLINT_X86_AVX2} PROPERTIES
    COMPILE_OPTIONS "-mavx2;-mfma;-mf16c")
  set_source_files_properties(${GLINT_X86_AVX512} PROPERTIES
    COMPILE_OPTIONS "-mavx512f;-mavx512bw;-mavx512vl;-mavx512dq;-mavx512vnni;-mavx2;-mfma;-mf16c")
  list(APPEND GLINT_SOURCES ${GLINT_X86_AVX2} ${GLINT_X86_AVX512})
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64|ARM64")
  file(GLOB GLINT_ARM_NEON CONFIGURE_DEPENDS backends/cpu/arm/*_neon.c)
  file(GLOB GLINT_ARM_DOTPROD CONFIGURE_DEPENDS backends/cpu/arm/*_dotprod.c)
  file(GLOB GLINT_ARM_I8MM CONFIGURE_DEPENDS backends/cpu/arm/*_i8mm.c)
  set_source_files_properties(${GLINT_ARM_DOTPROD} PROPERTIES
    COMPILE_OPTIONS "-march=armv8.2-a+dotprod+fp16")
  set_source_files_properties(${GLINT_ARM_I8MM} PROPERTIES
    COMPILE_OPTIONS "-march=armv8.2-a+dotprod+i8mm+fp16")
  list(APPEND GLINT_SOURCES ${GLINT_ARM_NEON} ${GLINT_ARM_DOTPROD} ${GLINT_ARM_I8MM})
endif()

# Vulkan backend: volk loads the Vulkan loader at run time (no link-time libvulkan); shaders
# are compiled by glslc and embedded. Off when volk, the Vulkan headers or glslc are missing.
option(GLINT_VULKAN "Build the Vulkan backend" ON)
if(GLINT_VULKAN)
  find_path(GLINT_VOLK_DIR volk.h)
  find_path(GLINT_VULKAN_INCLUDE vulkan/vulkan.h)
  if(NOT GLINT_VOLK_DIR OR NOT EXISTS ${GLINT_VOLK_DIR}/volk.c OR NOT GLINT_VULKAN_INCLUDE)
    message(WARNING "volk or Vulkan headers not found: the Vulkan backend is not built "
                    "(apt-get install libvulkan-dev libvulkan-volk-dev)")
    set(GLINT_VULKAN OFF)
  endif()
endif()
if(GLINT_VULKAN)
  include(cmake/shaders.cmake)
endif()
if(GLINT_VULKAN)
  file(GLOB GLINT_VK_SOURCES CONFIGURE_DEPENDS backends/vulkan/*.c backends/vulkan/ops/*.c)
  set_source_files_properties(${GLINT_VOLK_DIR}/volk.c PROPERTIES COMPILE_OPTIONS "-w")
  list(APPEND GLINT_SOURCES ${GLINT_VK_SOURCES} ${GLINT_VOLK_DIR}/volk.c
       ${GLINT_VK_GENERATED_SOURCES})
  add_compile_definitions(GLINT_WITH_VULKAN VK_NO_PROTOTYPES)
  include_directories(${GLINT_VOLK_DIR} backends/vulkan)
  list(LENGTH GLINT_VK_SHADER_NAMES n_shaders)
  message(STATUS "glint: Vulkan backend on (${n_shaders} shaders)")
endif()

# OpenCL backend (cmake/opencl.cmake): kernels embedded from shaders/opencl. Off when the
# OpenCL headers or ICD loader are missing.
option(GLINT_OPENCL "Build the OpenCL backend" ON)
if(GLINT_OPENCL)
  include(cmake/opencl.cmake)
endif()
